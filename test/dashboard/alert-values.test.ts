import { describe, expect, it } from 'vitest';
import { formatAlertValue } from '../../dashboard/src/views/alert-labels.js';

// The default locale (zh-CN) needs no DOM: only setLocale touches the document.
describe('alert values in their rule’s unit', () => {
  it('shows temperatures in °C, danger-zone time and silence as durations, a finding as confidence', () => {
    expect(formatAlertValue('temperature_high', 9.5)).toBe('9.5 °C');
    expect(formatAlertValue('danger_zone', 240)).toBe(formatAlertValue('no_data', 4 * 3600));
    expect(formatAlertValue('danger_zone', 240)).toContain('4');
    expect(formatAlertValue('danger_zone', 240)).not.toContain('°C');
    expect(formatAlertValue('finding.no_mask', 0.55)).toBe('55%');
    expect(formatAlertValue('oil_fill_high', 27)).toBe('27 %');
    expect(formatAlertValue('oil_effluent_high', 140)).toBe('140 mg/L');
    expect(formatAlertValue('oil_full_forecast', 2.5)).toContain('2.5');
    expect(formatAlertValue('anomaly', 0.533)).toContain('0.53');
  });
});
