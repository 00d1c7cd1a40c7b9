// SPDX-License-Identifier: LGPL-2.1-or-later
// Every word the pages show, in Chinese (the default) and English, in one
// dictionary. The choice is remembered in localStorage. Elements with
// data-i18n (and data-i18n-vars) are filled from here, and filled again
// when the language changes, so a half-finished form or upload is not
// lost for it.
'use strict';

const CC_STRINGS = {
  zh: {
    'app.name': '职教短视频征集',
    'nav.submit': '提交作品', 'nav.unit': '本单位', 'nav.review': '审核',
    'nav.campaign': '征集进度', 'nav.logout': '退出',
    'role.submitter': '报送人', 'role.reviewer': '审核人', 'role.admin': '管理员',
    'err.network': '网络中断，请检查连接后重试',
    'err.server': '服务器答复',

    'login.title': '登录', 'login.name': '用户名（可不填）',
    'login.token': '令牌', 'login.go': '登录',
    'login.hint': '令牌由管理员发放，只显示一次；请妥善保管。',
    'login.wait': '正在登录…', 'login.wrong': '用户名或令牌不正确',

    'submit.title': '提交作品',
    'submit.drop': '把视频拖到这里，或点此选择',
    'submit.drop_hint': '支持 MP4、MOV、MKV 等常见格式；网络中断后会自动续传',
    'submit.category': '类别', 'submit.work_title': '作品标题',
    'submit.student': '学生', 'submit.school': '学校（片尾署名）',
    'submit.role_model': '榜样人物信息',
    'submit.captions': '字幕文件（SRT、VTT、ASS）',
    'submit.captions_hint': '可不传；GBK、UTF-8 编码都可以',
    'submit.logo': '单位标志（PNG、JPG、SVG）',
    'submit.last_logo': '使用上次上传的标志：{name}',
    'submit.more': '更多选项', 'submit.quality': '画质',
    'submit.go': '上传并提交',
    'submit.uploading': '上传', 'submit.job': '处理进度',
    'submit.state': '状态：',
    'submit.see_unit': '查看本单位全部作品', 'submit.again': '再提交一个',
    'submit.need_video': '请先选择视频文件', 'submit.need_title': '请填写作品标题',
    'submit.need_rm': '“榜样故事我来说”需要填写榜样人物姓名',
    'submit.created': '上传完成，作品已进入处理队列',
    'rm.name': '姓名', 'rm.year': '毕业年份', 'rm.major': '所学专业',
    'rm.employer': '工作单位', 'rm.post': '岗位', 'rm.deeds': '主要事迹',
    'q.standard': '标准（1080p）', 'q.high': '高（1080p，较慢）',
    'q.draft': '草稿（360p，最快）',
    'submit.platform_cut': '平台短视频（9:16，60 秒内）',
    'pc.default': '按类别（榜样故事、未来工匠自动生成）',
    'pc.auto': '自动挑选片段生成', 'pc.none': '不生成',

    'up.kind.video': '视频', 'up.kind.captions': '字幕', 'up.kind.logo': '标志',
    'up.left': '剩余约 {t}',
    'up.broken': '连接中断（{why}），{s} 秒后自动续传…',
    'up.resumed': '已从 {b} 处继续上传',
    'up.gave_up': '多次重试仍无法连接服务器，请稍后再试（已传部分会保留）',
    'up.gone': '服务器上已没有这次上传，请重新提交',
    'up.net_error': '网络错误', 'up.stalled': '长时间没有进展',

    'cat.story': '榜样故事我来说', 'cat.craftsman': '未来工匠说',
    'cat.overview': '活动综述', 'cat.none': '未分类', 'cat.platform': '平台短视频',
    'state.queued': '排队中', 'state.running': '处理中', 'state.done': '已完成',
    'state.rejected': '未通过检查', 'state.failed': '处理失败',
    'state.cancelled': '已取消',
    'review.none': '未审核', 'review.pending': '待审核',
    'review.approved': '通过', 'review.changes_requested': '需修改',
    'review.rejected': '不通过', 'review.void': '作废',
    'phase.probe': '读取文件', 'phase.analysis': '分析',
    'phase.encode': '编码', 'phase.checks': '检查',
    'phase.report': '生成报告', 'phase.contact-sheet': '生成缩略图',
    'kind.district': '区', 'kind.college': '学院',
    'round.open': '进行中', 'round.closed': '已截止',

    'report.stopped': '处理停止：',
    'report.full.pass': '完整版（{d}）全部检查通过',
    'report.full.fail': '完整版（{d}）有检查未通过',
    'report.platform.pass': '平台短视频（{d}）全部检查通过',
    'report.platform.fail': '平台短视频（{d}）有检查未通过',
    'report.captions': '字幕 {n} 条',
    'check.container': '文件格式为 MP4',
    'check.faststart': '可边下边播（索引在前）',
    'check.video-codec': '视频编码为 H.264',
    'check.pixel-format': '8 位 4:2:0 色彩',
    'check.frame-size': '画面尺寸正确',
    'check.square-pixels': '像素为正方形',
    'check.colorimetry': '色彩标准为 BT.709',
    'check.progressive': '逐行扫描（无隔行）',
    'check.frame-rate': '帧率恒定且正确',
    'check.no-rotation-tag': '画面方向正确（无旋转标记）',
    'check.level': '编码级别符合播放要求',
    'check.audio-codec': '音频编码为 AAC',
    'check.audio-format': '音频 48 kHz 立体声',
    'check.duration': '时长与原片一致',
    'check.duration-rule': '时长符合本类别要求',
    'check.loudness': '音量符合标准',

    'unit.title': '本单位', 'unit.quota': '本轮还差什么',
    'unit.round': '{name}，截止 {deadline}',
    'unit.no_round': '尚未设置征集轮次',
    'unit.no_unit': '你的账号不属于任何单位',
    'unit.enough': '已达到要求', 'unit.missing': '还差 {n} 个',
    'unit.counts': '已提交 {s} · 通过检查 {p}',
    'unit.see_campaign': '查看各单位进度',
    'unit.submissions': '全部作品', 'unit.none': '还没有提交作品',
    'unit.loading': '正在读取…', 'unit.checks': '自动检查',

    'queue.title': '待审核作品',
    'queue.hint': '已完成处理、等待审核的作品，最早的在前。',
    'queue.empty': '没有待审核的作品',
    'queue.work': '作品', 'queue.unit': '单位', 'queue.finished': '完成时间',
    'queue.action': '操作', 'queue.open': '审核',

    'job.title': '审核作品', 'job.back': '← 返回待审核列表',
    'job.full': '完整版（16:9）', 'job.platform': '平台短视频（9:16）',
    'job.no_platform': '这个作品没有平台短视频',
    'job.back_play': '◀◀ 倒放 J', 'job.prev': '◀| 上一帧',
    'job.pause': '❚❚ 暂停 K', 'job.next': '下一帧 |▶',
    'job.fwd_play': '播放 ▶▶ L',
    'job.keys': '键盘：← → 逐帧，J K L 倒放/暂停/播放',
    'job.sheet': '缩略图', 'job.sheet_hint': '点击画面跳到该处',
    'job.captions': '字幕', 'job.no_captions': '没有字幕文件',
    'job.checks': '自动检查', 'job.comments': '批注',
    'job.comment_label': '批注内容',
    'job.comment_at': '在 {t} 处添加批注',
    'job.log': '审核记录', 'job.no_log': '还没有审核记录',
    'job.system': '系统', 'job.voided': '文件已重新生成，此前的审核作废',
    'job.decide': '审核意见', 'job.reason': '理由（必填）',
    'job.decide_go': '提交审核意见', 'job.reload': '重新加载',
    'job.need_choice': '请选择通过、需修改或不通过',
    'job.need_reason': '请填写理由',
    'job.decided': '已记录：{d}',
    'job.changed': '文件已变化（作品被重新生成），请重新加载页面后再审核',
    'seg.title': '平台短视频片段',
    'seg.hint': '拖动片段的两端或整段来调整，也可以直接输入；合计不超过 60 ' +
      '秒。只重做平台短视频，完整版不变；此前的审核意见作废。',
    'seg.list': '片段（分:秒-分:秒，用逗号分隔）',
    'seg.total': '合计 {s} 秒（最多 60 秒）',
    'seg.add': '在当前位置添加片段', 'seg.remake': '只重做平台短视频',
    'seg.start': '片段开头', 'seg.end': '片段结尾',
    'seg.working': '正在重做平台短视频……完成后页面会自动刷新',
    'seg.failed': '重做失败：{r}',
    'seg.bad_time': '无法识别的时间：{x}',
    'seg.bad_order': '片段须按时间顺序排列，且互不重叠',
    'seg.too_long': '合计超过 60 秒', 'seg.empty': '至少需要一个片段',
    'seg.no_room': '这里没有空间再加一段',
    'seg.past_end': '片段的开头超出了视频长度',

    'camp.title': '征集进度',
    'camp.deadline': '截止 {d}', 'camp.days_left': '还剩 {n} 天',
    'camp.unit': '单位', 'camp.status': '状态', 'camp.pack': '报送包',
    'camp.pack_get': '下载 ZIP',
    'camp.cell': '提交 {s} · 通过检查 {p}',
    'camp.short': '未完成：还差 {what}', 'camp.done': '已完成',
    'camp.n_short': '{n} 个单位尚未完成：{names}',
    'camp.all_done': '所有单位都已完成本轮任务',
    'camp.no_round': '尚未设置征集轮次',
    'camp.legend': '每格：已通过审核 / 要求数量；红色为尚未完成。',
    'camp.exports': '导出汇总表',
    'export.recommended-story': '“榜样故事我来说”成果视频推荐汇总表',
    'export.recommended-craftsman': '“未来工匠说”成果视频推荐汇总表',
    'export.role-models': '“榜样故事我来说”典型事迹信息表',

    'refused.403': '你没有权限查看这个页面。',
    'refused.404': '没有找到这个页面。',
    'refused.home': '返回首页',
  },
  en: {
    'app.name': 'Vocational video campaign',
    'nav.submit': 'Submit', 'nav.unit': 'My unit', 'nav.review': 'Review',
    'nav.campaign': 'Campaign', 'nav.logout': 'Log out',
    'role.submitter': 'submitter', 'role.reviewer': 'reviewer',
    'role.admin': 'admin',
    'err.network': 'The network is down: check the connection and retry',
    'err.server': 'The server answered',

    'login.title': 'Log in', 'login.name': 'User name (optional)',
    'login.token': 'Token', 'login.go': 'Log in',
    'login.hint': 'Your administrator gives you the token once; keep it safe.',
    'login.wait': 'Logging in…', 'login.wrong': 'Wrong name or token',

    'submit.title': 'Submit a video',
    'submit.drop': 'Drop the video here, or tap to choose it',
    'submit.drop_hint': 'MP4, MOV, MKV and other common formats; a broken ' +
      'connection resumes by itself',
    'submit.category': 'Category', 'submit.work_title': 'Title',
    'submit.student': 'Student', 'submit.school': 'School (in the credits)',
    'submit.role_model': 'The role model',
    'submit.captions': 'Captions (SRT, VTT, ASS)',
    'submit.captions_hint': 'Optional; GBK or UTF-8',
    'submit.logo': "The unit's logo (PNG, JPG, SVG)",
    'submit.last_logo': 'Use the last logo uploaded: {name}',
    'submit.more': 'More options', 'submit.quality': 'Quality',
    'submit.go': 'Upload and submit',
    'submit.uploading': 'Upload', 'submit.job': 'Processing',
    'submit.state': 'State:',
    'submit.see_unit': "See all of the unit's videos",
    'submit.again': 'Submit another',
    'submit.need_video': 'Choose the video first',
    'submit.need_title': 'Give the video a title',
    'submit.need_rm': "A role-model story needs the role model's name",
    'submit.created': 'Uploaded: the video is queued for processing',
    'rm.name': 'Name', 'rm.year': 'Graduation year', 'rm.major': 'Major',
    'rm.employer': 'Employer', 'rm.post': 'Post', 'rm.deeds': 'Deeds',
    'q.standard': 'Standard (1080p)', 'q.high': 'High (1080p, slower)',
    'q.draft': 'Draft (360p, fastest)',
    'submit.platform_cut': 'Platform cut (9:16, at most 60 s)',
    'pc.default': 'By category (made for stories and craftsmen)',
    'pc.auto': 'Made from chosen parts', 'pc.none': 'None',

    'up.kind.video': 'Video', 'up.kind.captions': 'Captions',
    'up.kind.logo': 'Logo',
    'up.left': 'about {t} left',
    'up.broken': 'Connection broken ({why}); resuming in {s} s…',
    'up.resumed': 'Resumed at {b}',
    'up.gave_up': 'The server cannot be reached after many tries; try ' +
      'again later (what arrived is kept)',
    'up.gone': 'The server no longer has this upload: submit again',
    'up.net_error': 'network error', 'up.stalled': 'no progress for long',

    'cat.story': 'Role-model stories', 'cat.craftsman': 'Future craftsmen',
    'cat.overview': 'Activity overview', 'cat.none': 'No category',
    'cat.platform': 'Platform short',
    'state.queued': 'queued', 'state.running': 'running',
    'state.done': 'done', 'state.rejected': 'failed the checks',
    'state.failed': 'failed', 'state.cancelled': 'cancelled',
    'review.none': 'not reviewed', 'review.pending': 'awaiting review',
    'review.approved': 'approved', 'review.changes_requested':
      'changes requested', 'review.rejected': 'rejected', 'review.void': 'void',
    'phase.probe': 'reading the file', 'phase.analysis': 'analysing',
    'phase.encode': 'encoding', 'phase.checks': 'checking',
    'phase.report': 'writing the report',
    'phase.contact-sheet': 'making the contact sheet',
    'kind.district': 'district', 'kind.college': 'college',
    'round.open': 'open', 'round.closed': 'closed',

    'report.stopped': 'Processing stopped:',
    'report.full.pass': 'Full cut ({d}): every check passed',
    'report.full.fail': 'Full cut ({d}): some checks failed',
    'report.platform.pass': 'Platform cut ({d}): every check passed',
    'report.platform.fail': 'Platform cut ({d}): some checks failed',
    'report.captions': '{n} captions',
    'check.container': 'The file is an MP4',
    'check.faststart': 'Plays while it downloads (index first)',
    'check.video-codec': 'Video in H.264',
    'check.pixel-format': '8-bit 4:2:0 colour',
    'check.frame-size': 'The picture size is right',
    'check.square-pixels': 'Square pixels',
    'check.colorimetry': 'BT.709 colours',
    'check.progressive': 'Progressive (not interlaced)',
    'check.frame-rate': 'A constant, correct frame rate',
    'check.no-rotation-tag': 'Upright (no rotation tag)',
    'check.level': 'An H.264 level players accept',
    'check.audio-codec': 'Sound in AAC',
    'check.audio-format': 'Sound at 48 kHz, stereo',
    'check.duration': 'As long as the source',
    'check.duration-rule': "Within the category's length",
    'check.loudness': 'Loudness to the standard',

    'unit.title': 'My unit', 'unit.quota': 'What this round still needs',
    'unit.round': '{name}, deadline {deadline}',
    'unit.no_round': 'No round has been set up',
    'unit.no_unit': 'Your account belongs to no unit',
    'unit.enough': 'Enough', 'unit.missing': '{n} more needed',
    'unit.counts': 'submitted {s} · passed the checks {p}',
    'unit.see_campaign': "See every unit's progress",
    'unit.submissions': 'All videos', 'unit.none': 'Nothing submitted yet',
    'unit.loading': 'Loading…', 'unit.checks': 'Machine checks',

    'queue.title': 'Awaiting review',
    'queue.hint': 'Processed videos awaiting a decision, oldest first.',
    'queue.empty': 'Nothing awaits review',
    'queue.work': 'Video', 'queue.unit': 'Unit', 'queue.finished': 'Finished',
    'queue.action': '', 'queue.open': 'Review',

    'job.title': 'Review', 'job.back': '← Back to the queue',
    'job.full': 'Full cut (16:9)', 'job.platform': 'Platform cut (9:16)',
    'job.no_platform': 'This job made no platform cut',
    'job.back_play': '◀◀ Back J', 'job.prev': '◀| Frame',
    'job.pause': '❚❚ Pause K', 'job.next': 'Frame |▶',
    'job.fwd_play': 'Play ▶▶ L',
    'job.keys': 'Keys: ← → one frame, J K L back / pause / forward',
    'job.sheet': 'Contact sheet', 'job.sheet_hint': 'Click a frame to go there',
    'job.captions': 'Captions', 'job.no_captions': 'No captions file',
    'job.checks': 'Machine checks', 'job.comments': 'Comments',
    'job.comment_label': 'Comment',
    'job.comment_at': 'Comment at {t}',
    'job.log': 'Decisions', 'job.no_log': 'No decision yet',
    'job.system': 'system', 'job.voided': 'The files were made anew: the ' +
      'decision before is void',
    'job.decide': 'Decision', 'job.reason': 'Reason (required)',
    'job.decide_go': 'Record the decision', 'job.reload': 'Reload',
    'job.need_choice': 'Choose approve, request changes or reject',
    'job.need_reason': 'Give a reason',
    'job.decided': 'Recorded: {d}',
    'job.changed': 'The files changed (the job was made anew): reload the ' +
      'page and look again',
    'seg.title': 'Platform cut segments',
    'seg.hint': 'Drag a segment’s ends or the whole segment, or type the ' +
      'list; at most 60 s in all. Only the platform cut is made again; the ' +
      'full cut stays, and any decision so far is void.',
    'seg.list': 'Segments (m:ss-m:ss, comma-separated)',
    'seg.total': 'Total {s} s (at most 60 s)',
    'seg.add': 'Add a segment here',
    'seg.remake': 'Make only the platform cut again',
    'seg.start': 'Segment start', 'seg.end': 'Segment end',
    'seg.working': 'Making the platform cut again… the page reloads when ' +
      'it is done',
    'seg.failed': 'It failed: {r}',
    'seg.bad_time': 'Not a time: {x}',
    'seg.bad_order': 'Segments must be in order and must not overlap',
    'seg.too_long': 'more than 60 s in all', 'seg.empty': 'At least one segment',
    'seg.no_room': 'No room for another segment here',
    'seg.past_end': 'A segment starts after the video ends',

    'camp.title': 'Campaign',
    'camp.deadline': 'deadline {d}', 'camp.days_left': '{n} days left',
    'camp.unit': 'Unit', 'camp.status': 'State', 'camp.pack': 'Pack',
    'camp.pack_get': 'Download ZIP',
    'camp.cell': 'submitted {s} · passed {p}',
    'camp.short': 'Not delivered: {what} missing', 'camp.done': 'Delivered',
    'camp.n_short': '{n} units have not delivered: {names}',
    'camp.all_done': 'Every unit has delivered this round',
    'camp.no_round': 'No round has been set up',
    'camp.legend': 'Each cell: approved / quota; red: not delivered yet.',
    'camp.exports': 'Tables',
    'export.recommended-story': 'Role-model stories: recommended videos',
    'export.recommended-craftsman': 'Future craftsmen: recommended videos',
    'export.role-models': 'Role-model stories: the role models',

    'refused.403': 'You may not see this page.',
    'refused.404': 'There is no such page.',
    'refused.home': 'Home',
  },
};

function i18n_lang () {
  try {
    return localStorage.getItem('campuscut.lang') === 'en' ? 'en' : 'zh';
  } catch (e) {
    return 'zh';
  }
}

// The text of @key with {name}s replaced; the key itself when missing,
// so that a forgotten word shows rather than vanishes.
function t (key, vars) {
  const lang = i18n_lang();
  let s = CC_STRINGS[lang][key];
  if (s === undefined)
    s = CC_STRINGS.zh[key] !== undefined ? CC_STRINGS.zh[key] : key;
  for (const [k, v] of Object.entries(vars || {}))
    s = s.split(`{${k}}`).join(String(v));
  return s;
}

function i18n_apply (root) {
  document.documentElement.lang = i18n_lang() === 'zh' ? 'zh-CN' : 'en';
  for (const e of root.querySelectorAll('[data-i18n]')) {
    let vars = null;
    try {
      vars = e.dataset.i18nVars ? JSON.parse(e.dataset.i18nVars) : null;
    } catch (err) {}
    e.textContent = t(e.dataset.i18n, vars);
  }
  const lang = document.getElementById('lang');
  if (lang)
    lang.textContent = i18n_lang() === 'zh' ? 'EN' : '中文';
}

function i18n_set (lang) {
  try {
    localStorage.setItem('campuscut.lang', lang);
  } catch (e) {}
  i18n_apply(document);
}
