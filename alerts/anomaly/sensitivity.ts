/** The sensitivity setting of the anomaly detector: what it means and how it is parsed. */

/** Named sensitivity levels and the number in [0, 1] each stands for. */
export const SENSITIVITY_LEVELS = { low: 0.25, medium: 0.5, high: 0.75 } as const;
export type SensitivityLevel = keyof typeof SENSITIVITY_LEVELS;

/**
 * How readily the detector calls something anomalous: `'low' | 'medium' | 'high'`
 * or a number in [0, 1] (0.5 = medium). Every signal's alarm level is its
 * reference multiplied by `2^(1 − 2·sensitivity)`: low (0.25) needs 1.41× the
 * evidence of medium, high (0.75) 0.71× of it. A score of 0.5 is the alarm level
 * at the chosen sensitivity.
 */
export type Sensitivity = SensitivityLevel | number;

/** The number a sensitivity stands for, in [0, 1]; throws RangeError on anything else. */
export function sensitivityValue(sensitivity: Sensitivity): number {
  if (typeof sensitivity === 'string') {
    if (Object.hasOwn(SENSITIVITY_LEVELS, sensitivity)) return SENSITIVITY_LEVELS[sensitivity];
    throw new RangeError(`sensitivity must be low, medium, high or a number in [0, 1], not ${JSON.stringify(sensitivity)}`);
  }
  if (!Number.isFinite(sensitivity) || sensitivity < 0 || sensitivity > 1) {
    throw new RangeError(`sensitivity must be low, medium, high or a number in [0, 1], not ${sensitivity}`);
  }
  return sensitivity;
}

/** Parses a sensitivity from text (a CLI flag): a level name or a number in [0, 1]. */
export function parseSensitivity(text: string): number {
  const trimmed = text.trim();
  return sensitivityValue(/^[0-9.]+$/.test(trimmed) ? Number(trimmed) : (trimmed as SensitivityLevel));
}
