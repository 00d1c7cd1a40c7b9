/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * campuscut plugin entry point: registers every campuscut element so that one
 * shared object, libgstcampuscut.so, carries the whole suite.
 *
 * Copyright (C) 2026 campuscut developers
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <glib/gi18n-lib.h>
#include <gst/gst.h>

#include "gstcaptionburn.h"
#include "gstcutlist.h"
#include "gstdurationguard.h"
#include "gstloudnorm.h"
#include "gstschoolwatermark.h"
#include "gstsubmissionbin.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;
  const gchar *bound = bindtextdomain (GETTEXT_PACKAGE, NULL);

  /* Messages in the user's language; an application that already bound
   * the domain elsewhere (the campuscut CLI run from its build tree) keeps
   * its binding. */
  if (bound == NULL || g_strcmp0 (bound, "/usr/share/locale") == 0)
    bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  ret |= GST_ELEMENT_REGISTER (captionburn, plugin);
  ret |= GST_ELEMENT_REGISTER (cutlist, plugin);
  ret |= GST_ELEMENT_REGISTER (durationguard, plugin);
  ret |= GST_ELEMENT_REGISTER (loudnorm, plugin);
  ret |= GST_ELEMENT_REGISTER (schoolwatermark, plugin);
  ret |= GST_ELEMENT_REGISTER (submissionbin, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, campuscut,
    "Normalise, check and publish school campaign videos",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
