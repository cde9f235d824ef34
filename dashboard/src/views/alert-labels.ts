import type { Alert, AlertState, ConditionRuleId, Resolution, Severity } from '../../../contracts/alerts.js';
import { formatConfidence, formatDuration, formatNumber, formatPercent, formatTemperature } from '../format.js';
import { defineMessages, lookup } from '../i18n.js';

/**
 * Names of alert rules, severities, states and resolutions, shared by every view
 * that shows alerts (overview, feed, site and device views). AI finding rules
 * (`finding.no_mask`) reuse the finding names of the device list.
 */
const RULES_ZH: Readonly<Record<ConditionRuleId, string>> = {
  temperature_high: '温度过高',
  temperature_low: '温度过低',
  danger_zone: '危险温度区累计超时',
  no_data: '无数据',
  device_offline: '设备离线',
  battery_low: '电量低',
  door_open: '门未关',
  oil_fill_high: '隔油池油脂过满',
  oil_overflow: '隔油池溢流',
  oil_effluent_high: '出水含油超标',
  oil_pump_out_overdue: '隔油池逾期未清掏',
  oil_full_forecast: '隔油池预计将满',
  camera_offline: '摄像头离线',
  camera_not_streaming: '摄像头未推流',
  camera_lens_occluded: '镜头遮挡',
  camera_lens_moved: '镜头移位',
  camera_storage_low: '录像存储不足',
  anomaly: '读数异常',
};

const RULES_EN: Readonly<Record<ConditionRuleId, string>> = {
  temperature_high: 'Temperature too high',
  temperature_low: 'Temperature too low',
  danger_zone: 'Too long in the danger zone',
  no_data: 'No data',
  device_offline: 'Device offline',
  battery_low: 'Battery low',
  door_open: 'Door left open',
  oil_fill_high: 'Grease trap too full',
  oil_overflow: 'Grease trap overflow',
  oil_effluent_high: 'Oil in effluent too high',
  oil_pump_out_overdue: 'Grease trap pump-out overdue',
  oil_full_forecast: 'Grease trap will be full soon',
  camera_offline: 'Camera offline',
  camera_not_streaming: 'Camera not streaming',
  camera_lens_occluded: 'Lens covered',
  camera_lens_moved: 'Lens moved',
  camera_storage_low: 'Recording storage low',
  anomaly: 'Unusual readings',
};

const rules = defineMessages<ConditionRuleId>(RULES_ZH, RULES_EN);

/** Every condition rule, in the order of the tables above (the dashboard imports no runtime values from contracts). */
export const CONDITION_RULE_IDS = Object.keys(RULES_ZH) as ConditionRuleId[];

export const alertText = defineMessages(
  {
    severity_critical: '严重',
    severity_warning: '警告',
    severity_info: '提示',
    state_open: '待处理',
    state_acknowledged: '处理中',
    state_resolved: '已解决',
    resolution_cleared: '已自动恢复',
    resolution_corrected: '已整改',
    resolution_dismissed: '已排除（误报）',
    category_condition: '规则告警',
    category_finding: 'AI 发现',
    findingRule: 'AI 发现：{type}',
    verdict_pending: '待核实',
    verdict_confirmed: '已确认',
    verdict_dismissed: '已驳回',
    unit_days: '{n} 天',
    unit_mgL: '{n} mg/L',
    unit_score: '异常分 {n}',
  },
  {
    severity_critical: 'Critical',
    severity_warning: 'Warning',
    severity_info: 'Info',
    state_open: 'Open',
    state_acknowledged: 'Acknowledged',
    state_resolved: 'Resolved',
    resolution_cleared: 'Cleared by itself',
    resolution_corrected: 'Rectified',
    resolution_dismissed: 'Dismissed (false alarm)',
    category_condition: 'Rule',
    category_finding: 'AI finding',
    findingRule: 'AI finding: {type}',
    verdict_pending: 'To verify',
    verdict_confirmed: 'Confirmed',
    verdict_dismissed: 'Dismissed',
    unit_days: '{n} days',
    unit_mgL: '{n} mg/L',
    unit_score: 'score {n}',
  },
);

export function severityName(severity: Severity): string {
  return alertText(`severity_${severity}`);
}

export function stateName(state: AlertState): string {
  return alertText(`state_${state}`);
}

/** A person's verdict on an AI finding: to verify, confirmed, dismissed. */
export function verdictName(verdict: NonNullable<Alert['verdict']>): string {
  return alertText(`verdict_${verdict}`);
}

export function resolutionName(resolution: Resolution): string {
  return alertText(`resolution_${resolution}`);
}

/** "温度过高", "AI 发现：未戴口罩"; an unknown rule id is shown as it is. */
export function ruleName(rule: Alert['rule'] | string): string {
  if (rule.startsWith('finding.')) {
    const type = rule.slice('finding.'.length);
    return alertText('findingRule', { type: lookup(`finding_${type}`) ?? type });
  }
  return rules.lookup(rule) ?? rule;
}

/**
 * An alert's value or limit in the unit its rule reports: °C for temperatures,
 * minutes in the danger zone, seconds of silence, days to a full grease trap, a
 * finding's confidence. Rules and their units are in `alerts/evaluation/`.
 */
export function formatAlertValue(rule: Alert['rule'], value: number): string {
  if (rule.startsWith('finding.')) return formatConfidence(value);
  switch (rule) {
    case 'temperature_high':
    case 'temperature_low':
      return formatTemperature(value);
    case 'danger_zone':
      return formatDuration(value * 60_000);
    case 'no_data':
    case 'device_offline':
    case 'camera_offline':
    case 'camera_not_streaming':
    case 'camera_lens_occluded':
    case 'camera_lens_moved':
    case 'door_open':
      return formatDuration(value * 1000);
    case 'battery_low':
    case 'oil_fill_high':
    case 'camera_storage_low':
      return formatPercent(value);
    case 'oil_effluent_high':
      return alertText('unit_mgL', { n: formatNumber(value, 0) });
    case 'oil_full_forecast':
    case 'oil_pump_out_overdue':
      return alertText('unit_days', { n: formatNumber(value, value < 10 ? 1 : 0) });
    case 'anomaly':
      return alertText('unit_score', { n: formatNumber(value, 2) });
    default:
      return formatNumber(value, 1);
  }
}
