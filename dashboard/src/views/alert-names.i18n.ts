import type { Alert, AlertState, RuleId, Severity } from '../../../contracts/alerts.js';
import { defineMessages, lookup } from '../i18n.js';

/**
 * Names of alert rules, severities, states and finding verdicts, for every view
 * that lists alerts. Keys are built from data (`rule_temperature_high`,
 * `severity_critical`); a rule a newer server adds shows its id until named here.
 * Finding rules (`finding.no_mask`) reuse the finding names of the main table.
 */
const names = defineMessages(
  {
    rule_temperature_high: '温度过高',
    rule_temperature_low: '温度过低',
    rule_danger_zone: '危险温度区累计超时',
    rule_no_data: '无数据',
    rule_device_offline: '设备离线',
    rule_battery_low: '电量低',
    rule_door_open: '柜门未关',
    rule_oil_fill_high: '隔油池需清掏',
    rule_oil_overflow: '隔油池溢流',
    rule_oil_effluent_high: '出水含油超标',
    rule_oil_pump_out_overdue: '超期未清掏',
    rule_oil_full_forecast: '预计即将满载',
    rule_camera_offline: '摄像头离线',
    rule_camera_not_streaming: '摄像头未推流',
    rule_camera_lens_occluded: '镜头遮挡',
    rule_camera_lens_moved: '镜头移位',
    rule_camera_storage_low: '录像存储不足',
    rule_anomaly: '读数异常',
    findingRule: 'AI 发现：{type}',
    severity_info: '提示',
    severity_warning: '警告',
    severity_critical: '严重',
    state_open: '待处理',
    state_acknowledged: '处理中',
    state_resolved: '已解决',
    verdict_pending: '待核实',
    verdict_confirmed: '已确认',
    verdict_dismissed: '已驳回',
    resolution_cleared: '自动恢复',
    resolution_corrected: '已整改',
    resolution_dismissed: '误报驳回',
  },
  {
    rule_temperature_high: 'Temperature high',
    rule_temperature_low: 'Temperature low',
    rule_danger_zone: 'Too long in the danger zone',
    rule_no_data: 'No data',
    rule_device_offline: 'Device offline',
    rule_battery_low: 'Battery low',
    rule_door_open: 'Door left open',
    rule_oil_fill_high: 'Grease trap due for pump-out',
    rule_oil_overflow: 'Grease trap overflow',
    rule_oil_effluent_high: 'Oil in effluent too high',
    rule_oil_pump_out_overdue: 'Pump-out overdue',
    rule_oil_full_forecast: 'Grease trap full soon',
    rule_camera_offline: 'Camera offline',
    rule_camera_not_streaming: 'Camera not streaming',
    rule_camera_lens_occluded: 'Lens covered',
    rule_camera_lens_moved: 'Lens moved',
    rule_camera_storage_low: 'Recording storage low',
    rule_anomaly: 'Unusual readings',
    findingRule: 'AI finding: {type}',
    severity_info: 'Info',
    severity_warning: 'Warning',
    severity_critical: 'Critical',
    state_open: 'Open',
    state_acknowledged: 'Acknowledged',
    state_resolved: 'Resolved',
    verdict_pending: 'To verify',
    verdict_confirmed: 'Confirmed',
    verdict_dismissed: 'Dismissed',
    resolution_cleared: 'Cleared by itself',
    resolution_corrected: 'Corrected',
    resolution_dismissed: 'Dismissed as wrong',
  },
);

/** The finding type of a `finding.<type>` rule, or undefined for a condition rule. */
export function findingType(rule: RuleId | string): string | undefined {
  return rule.startsWith('finding.') ? rule.slice('finding.'.length) : undefined;
}

/** "温度过高", "AI 发现：未戴口罩". */
export function ruleName(rule: RuleId | string): string {
  const type = findingType(rule);
  if (type !== undefined) return names('findingRule', { type: lookup(`finding_${type}`) ?? type });
  return names.lookup(`rule_${rule}`) ?? rule;
}

export const severityName = (severity: Severity): string => names(`severity_${severity}`);
export const stateName = (state: AlertState): string => names(`state_${state}`);
export const verdictName = (verdict: NonNullable<Alert['verdict']>): string => names(`verdict_${verdict}`);
export const resolutionName = (resolution: NonNullable<Alert['resolution']>): string => names(`resolution_${resolution}`);
