// SPDX-License-Identifier: LGPL-2.1-or-later
// The pages of a refusal (403, 404): their words in the chosen language.
'use strict';

document.addEventListener('DOMContentLoaded', () => i18n_apply(document));
