import { definePack } from '../overrides.js';
import type { RulePack } from '../../../contracts/index.js';
import { AMBIENT, CHILLED_TUNING, CONFIRM_LOCALLY, FROZEN_TUNING, HOT_TUNING, limits, SHARED, t } from './common.js';

const CHILLED_SOURCE = 'chilled storage 0–8 °C, widely cited for China catering rules (domain.md; the 2011 rules said 0–10 °C), confirm against the local standard text';
const HOT_SOURCE = 'hot holding ≥ 60 °C, China catering practice (domain.md), confirm locally';

/**
 * China catering (餐饮服务): the limits domain.md cites for sunshine kitchens.
 * GB 31605-2020 §3.1 requires cold stores to have temperature monitoring, recording
 * and alarm devices; the figures below are the ones it leaves to catering rules.
 */
export const CN_CATERING: RulePack = definePack({
  id: 'cn-catering',
  version: 1,
  name: 'China catering (阳光厨房)',
  description: 'China food-service units: chilled 0–8 °C, frozen alarm above −12 °C, hot holding ≥ 60 °C, effluent oil ≤ 100 mg/L (GB/T 31962-2015)',
  settings: {
    ...SHARED,
    temperature: {
      chilled: limits({ minC: t(0, CHILLED_SOURCE), maxC: t(8, CHILLED_SOURCE), criticalMaxC: t(12, CONFIRM_LOCALLY) }, CHILLED_TUNING),
      frozen: limits(
        {
          maxC: t(-12, '−12 °C is cited as the catering floor for frozen storage (domain.md), confirm locally'),
          targetC: t(-18, '−18 °C is the frozen-food norm (domain.md)'),
          // A defrost peaks at −8…−5 °C for a few minutes; longer above −5 °C is a failure.
          criticalMaxC: t(-5, CONFIRM_LOCALLY),
        },
        FROZEN_TUNING,
      ),
      hot_holding: limits({ minC: t(60, HOT_SOURCE), criticalMinC: t(50, CONFIRM_LOCALLY) }, HOT_TUNING),
      ambient: AMBIENT,
    },
    danger_zone: {
      enabled: true,
      severity: 'warning',
      // The zone starts at the pack's chilled limit, not the Australia/NZ 5 °C:
      // a fridge at 6 °C is compliant here and must not count towards discard.
      lowC: t(8, `${CHILLED_SOURCE}; the Australia/NZ 2-hour/4-hour rule uses 5 °C`),
      highC: t(60, HOT_SOURCE),
      warningAfterMin: t(120, 'Australia/NZ 2-hour/4-hour rule: after 2 h use now (domain.md)'),
      criticalAfterMin: t(240, 'Australia/NZ 2-hour/4-hour rule: after 4 h discard (domain.md)'),
      profiles: ['chilled', 'hot_holding'],
      resetAfterMin: 60,
    },
    oil_effluent_high: {
      enabled: true,
      severity: 'warning',
      maxMgL: t(100, 'animal/vegetable oil to sewer ≤ 100 mg/L, GB/T 31962-2015 grade C, via local notices; confirm locally'),
      // A service rush clouds the effluent for minutes; a full trap does for hours.
      delayMin: 30,
      deadbandMgL: 10,
    },
    businessHours: {
      source: `${CONFIRM_LOCALLY}: kitchens prepare from about 07:00 and close after dinner service (simulators/models/kitchen-hours.ts); set per site`,
      daily: { open: '07:00', close: '22:00' },
      weekdays: {},
    },
  },
});
