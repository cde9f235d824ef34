/**
 * The page's strings. Simplified Chinese is the default; English is kept complete
 * (the types force it). The shell's and the device list's strings are here; each
 * view keeps its own table in `views/<view>.i18n.ts` made with
 * {@link defineMessages}, so views do not all edit one file. Either way it is one
 * mechanism: the current locale, `{name}` placeholders, {@link setLocale} then re-render.
 */

const zhCN = {
  title: '阳光厨房 · 实时监控',
  docsLink: 'API 文档',
  changeToken: '退出登录',
  connConnected: '已连接',
  connConnecting: '连接中…',
  connReconnecting: '重连中…',
  connDisconnected: '未连接',
  connLabel: '实时连接',
  tokenHeading: '登录',
  userLabel: '用户名',
  tokenLabel: '密码',
  tokenSubmit: '登录',
  tokenHint: '登录状态仅保存在本标签页中。管理员也可以通过链接 #token=… 使用应急令牌打开本页。',
  tokenRejected: '登录已失效，请重新登录。',
  tokenEmpty: '请输入用户名和密码。',
  loginFailed: '用户名或密码错误。',
  loginThrottled: '失败次数过多，请稍后再试。',
  loading: '正在加载…',
  loadFailed: '加载失败：{message}',
  retry: '重试',
  liveSiteFailed: '实时更新暂不可用（{message}），{seconds} 秒后重试。',
  noSites: '暂无单位。',
  noDevices: '暂无设备。',
  noRegion: '未分区',
  siteInactive: '已停用',
  siteDevicesFailed: '设备加载失败',
  kindTemperature: '温度',
  kindOilSeparator: '油水分离',
  kindCamera: '摄像头',
  online: '在线',
  offline: '离线',
  noReading: '暂无数据',
  doorOpen: '门开',
  greaseMm: '油层 {value} mm',
  humidity: '湿度 {value}',
  liveFailed: '实时订阅失败：{message}',
  cameraStreaming: '直播中',
  cameraNotStreaming: '在线·未推流',
  cameraUnreachable: '不可达',
  lensOccluded: '镜头遮挡',
  lensMoved: '镜头移位',
  overflow: '溢流',
  pumpOn: '泵运行',
  findingLabel: 'AI 发现：{type}（{confidence}，待核实）',
  ageNow: '刚刚',
  ageSeconds: '{n} 秒前',
  ageMinutes: '{n} 分钟前',
  ageHours: '{n} 小时前',
  ageDays: '{n} 天前',
  staleHint: '超过预期上报间隔未收到数据',
  warnHint: '超出参考范围（暂定显示提示，非正式告警）',
  legend: '橙色数值为暂定的显示提示，正式告警由告警引擎给出。',
  readingAt: '读数时间',
  profile_chilled: '冷藏',
  profile_frozen: '冷冻',
  profile_hot_holding: '热保温',
  profile_ambient: '常温',
  profile_oil_separator: '隔油',
  profile_camera: '视频',
  finding_no_chef_hat: '未戴厨师帽',
  finding_no_mask: '未戴口罩',
  finding_mask_worn_wrongly: '口罩佩戴不规范',
  finding_no_work_clothes: '未穿工作服',
  finding_smoking: '吸烟',
  finding_phone_use: '玩手机',
  finding_rodent: '鼠患',
  finding_uncovered_bin: '垃圾桶未加盖',
  finding_unattended_flame: '明火无人看管',
  finding_unauthorised_person: '非授权人员',
  durationSeconds: '{n} 秒',
  durationMinutes: '{n} 分钟',
  durationHours: '{n} 小时',
  durationDays: '{n} 天',
  navLabel: '主导航',
  skipToContent: '跳到主要内容',
  navOverview: '辖区总览',
  navAlerts: '告警',
  navSites: '单位列表',
  navProvision: '设备登记',
  languageLabel: '语言',
  signedInAs: '{name}（{role}）',
  role_admin: '管理员',
  role_supervisor: '监管人员',
  role_operator: '餐饮单位',
  notFound: '找不到该页面。',
  backHome: '返回首页',
  viewFailed: '页面出错：{message}',
} as const;

export type MessageKey = keyof typeof zhCN;

const en: Record<MessageKey, string> = {
  title: 'Sunshine Kitchen · Live monitor',
  docsLink: 'API docs',
  changeToken: 'Log out',
  connConnected: 'Connected',
  connConnecting: 'Connecting…',
  connReconnecting: 'Reconnecting…',
  connDisconnected: 'Disconnected',
  connLabel: 'Live connection',
  tokenHeading: 'Log in',
  userLabel: 'User name',
  tokenLabel: 'Password',
  tokenSubmit: 'Log in',
  tokenHint: 'You stay logged in in this tab only. Admins can also open this page with a break-glass token as #token=… in the link.',
  tokenRejected: 'Your session has ended. Please log in again.',
  tokenEmpty: 'Please enter your user name and password.',
  loginFailed: 'Wrong user name or password.',
  loginThrottled: 'Too many failed attempts. Please try again later.',
  loading: 'Loading…',
  loadFailed: 'Loading failed: {message}',
  retry: 'Retry',
  liveSiteFailed: 'Live updates are not coming through ({message}); trying again in {seconds} s.',
  noSites: 'No sites yet.',
  noDevices: 'No devices yet.',
  noRegion: 'No region',
  siteInactive: 'Inactive',
  siteDevicesFailed: 'Devices could not be loaded',
  kindTemperature: 'Temperature',
  kindOilSeparator: 'Grease trap',
  kindCamera: 'Camera',
  online: 'Online',
  offline: 'Offline',
  noReading: 'No data yet',
  doorOpen: 'Door open',
  greaseMm: 'grease {value} mm',
  humidity: 'humidity {value}',
  liveFailed: 'Live updates unavailable: {message}',
  cameraStreaming: 'Streaming',
  cameraNotStreaming: 'Online, not streaming',
  cameraUnreachable: 'Unreachable',
  lensOccluded: 'Lens covered',
  lensMoved: 'Lens moved',
  overflow: 'Overflow',
  pumpOn: 'Pump on',
  findingLabel: 'AI finding: {type} ({confidence}, to verify)',
  ageNow: 'just now',
  ageSeconds: '{n} s ago',
  ageMinutes: '{n} min ago',
  ageHours: '{n} h ago',
  ageDays: '{n} d ago',
  staleHint: 'No data for longer than the expected reporting interval',
  warnHint: 'Outside the reference band (provisional display hint, not an alert)',
  legend: 'Amber values are provisional display hints; real alerts come from the alert engine.',
  readingAt: 'Reading time',
  profile_chilled: 'Chilled',
  profile_frozen: 'Frozen',
  profile_hot_holding: 'Hot holding',
  profile_ambient: 'Ambient',
  profile_oil_separator: 'Grease trap',
  profile_camera: 'Video',
  finding_no_chef_hat: 'No chef hat',
  finding_no_mask: 'No mask',
  finding_mask_worn_wrongly: 'Mask worn wrongly',
  finding_no_work_clothes: 'No work clothes',
  finding_smoking: 'Smoking',
  finding_phone_use: 'Phone use',
  finding_rodent: 'Rodent',
  finding_uncovered_bin: 'Uncovered bin',
  finding_unattended_flame: 'Unattended flame',
  finding_unauthorised_person: 'Unauthorised person',
  durationSeconds: '{n} s',
  durationMinutes: '{n} min',
  durationHours: '{n} h',
  durationDays: '{n} d',
  navLabel: 'Main navigation',
  skipToContent: 'Skip to content',
  navOverview: 'Overview',
  navAlerts: 'Alerts',
  navSites: 'Sites',
  navProvision: 'Devices',
  languageLabel: 'Language',
  signedInAs: '{name} ({role})',
  role_admin: 'Administrator',
  role_supervisor: 'Supervisor',
  role_operator: 'Restaurant',
  notFound: 'This page does not exist.',
  backHome: 'Back to the start page',
  viewFailed: 'The page failed: {message}',
};

export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];
/** Each language's name in itself, for the switch. */
export const LOCALE_NAMES: Readonly<Record<Locale, string>> = { 'zh-CN': '中文', en: 'English' };

const MESSAGES: Readonly<Record<Locale, Record<MessageKey, string>>> = { 'zh-CN': zhCN, en };
const LOCALE_KEY = 'sunshine-kitchen.locale';

let current: Locale = 'zh-CN';

export function setLocale(locale: Locale): void {
  current = locale;
  document.documentElement.lang = locale;
}

export function getLocale(): Locale {
  return current;
}

/** The language chosen earlier on this browser, or Simplified Chinese. */
export function savedLocale(): Locale {
  try {
    const saved = localStorage.getItem(LOCALE_KEY);
    return LOCALES.find((l) => l === saved) ?? 'zh-CN';
  } catch {
    // Storage disabled: the default language.
    return 'zh-CN';
  }
}

export function saveLocale(locale: Locale): void {
  try {
    localStorage.setItem(LOCALE_KEY, locale);
  } catch {
    // Storage disabled: the choice lasts for this page load.
  }
}

function fill(text: string, params: Readonly<Record<string, string | number>> | undefined): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** The message for `key`, with `{name}` placeholders filled from `params`. */
export function t(key: MessageKey, params?: Readonly<Record<string, string | number>>): string {
  return fill(MESSAGES[current][key], params);
}

/** A message key built from data (profile, finding type), or `undefined` if there is none. */
export function lookup(key: string): string | undefined {
  return Object.hasOwn(MESSAGES[current], key) ? MESSAGES[current][key as MessageKey] : undefined;
}

/** A view's own translator: `t(key, params)` over its table, and `lookup(key)` for keys built from data. */
export interface Messages<K extends string> {
  (key: K, params?: Readonly<Record<string, string | number>>): string;
  lookup(key: string): string | undefined;
}

/**
 * A view's own message table, in the same two languages (English must have every
 * key the Chinese table has). Follows {@link setLocale} like {@link t}.
 */
export function defineMessages<K extends string>(zh: Readonly<Record<K, string>>, english: Readonly<Record<K, string>>): Messages<K> {
  const tables: Readonly<Record<Locale, Readonly<Record<K, string>>>> = { 'zh-CN': zh, en: english };
  const translate = (key: K, params?: Readonly<Record<string, string | number>>) => fill(tables[current][key], params);
  translate.lookup = (key: string) => (Object.hasOwn(tables[current], key) ? tables[current][key as K] : undefined);
  return translate;
}
