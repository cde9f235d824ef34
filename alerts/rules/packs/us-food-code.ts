import { definePack } from '../overrides.js';
import type { RulePack } from '../../../contracts/index.js';
import { AMBIENT, CHILLED_TUNING, CONFIRM_LOCALLY, FROZEN_TUNING, HOT_TUNING, limits, SHARED, t } from './common.js';

const COLD_SOURCE = 'FDA Food Code 3-501.16(A)(2): cold holding at 5 °C (41 °F) or less';
const HOT_SOURCE = 'FDA Food Code 3-501.16(A)(1): hot holding at 57 °C (135 °F) or above';

/** United States, FDA Food Code: TCS food outside 41–135 °F is on the clock. */
export const US_FOOD_CODE: RulePack = definePack({
  id: 'us-food-code',
  version: 1,
  name: 'US FDA Food Code',
  description: 'US food service under the FDA Food Code: cold holding ≤ 5 °C/41 °F, hot holding ≥ 57 °C/135 °F, 4 h time as a public health control',
  settings: {
    ...SHARED,
    temperature: {
      chilled: limits(
        {
          minC: t(0, `${CONFIRM_LOCALLY}: product freezes below about 0 °C; the Food Code sets no lower limit`),
          maxC: t(5, COLD_SOURCE),
          criticalMaxC: t(10, CONFIRM_LOCALLY),
        },
        CHILLED_TUNING,
      ),
      frozen: limits(
        {
          maxC: t(-12, `${CONFIRM_LOCALLY}: Food Code 3-501.11 requires frozen food to stay frozen`),
          targetC: t(-18, 'USDA FSIS: food kept at 0 °F (−18 °C) stays safe'),
          criticalMaxC: t(-5, CONFIRM_LOCALLY),
        },
        FROZEN_TUNING,
      ),
      hot_holding: limits({ minC: t(57, HOT_SOURCE), criticalMinC: t(50, CONFIRM_LOCALLY) }, HOT_TUNING),
      ambient: AMBIENT,
    },
    danger_zone: {
      enabled: true,
      severity: 'warning',
      lowC: t(5, COLD_SOURCE),
      highC: t(57, HOT_SOURCE),
      warningAfterMin: t(120, 'Australia/NZ 2-hour/4-hour rule (domain.md); the Food Code has no 2 h stage'),
      criticalAfterMin: t(240, 'FDA Food Code 3-501.19: time as a public health control, discard after 4 h'),
      profiles: ['chilled', 'hot_holding'],
      resetAfterMin: 60,
    },
    oil_effluent_high: {
      enabled: true,
      severity: 'warning',
      maxMgL: t(100, 'many US cities limit FOG to 100 mg/L (domain.md); confirm with the local pretreatment ordinance'),
      delayMin: 30,
      deadbandMgL: 10,
    },
    businessHours: {
      source: `${CONFIRM_LOCALLY}; set per site`,
      daily: { open: '07:00', close: '22:00' },
      weekdays: {},
    },
  },
});
