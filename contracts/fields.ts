import { z } from 'zod';

/**
 * One field a device kind reports. Every telemetry field is a number or a
 * boolean, so every field is also a time series: the same catalogue builds the
 * zod schema (contracts), the storage columns (store) and the history API's
 * `field` parameter (api). Add a field here and all three follow.
 */
export interface FieldSpec {
  readonly type: 'number' | 'boolean';
  readonly unit: string;
  readonly description: string;
  readonly required: boolean;
  /** Physically possible range; a value outside it is rejected as absurd. */
  readonly min?: number;
  readonly max?: number;
  /** Integers only (counts, epoch milliseconds). */
  readonly integer?: boolean;
}

export type FieldCatalogue = Readonly<Record<string, FieldSpec>>;

export const num = (
  min: number,
  max: number,
  unit: string,
  description: string,
  required = false,
): FieldSpec => ({ type: 'number', unit, description, required, min, max });

export const flag = (description: string, required = false): FieldSpec => ({
  type: 'boolean',
  unit: 'bool',
  description,
  required,
});

/** Earliest device timestamp accepted: a device whose clock says 2019 has lost its time. */
export const EARLIEST_DEVICE_TS = Date.UTC(2020, 0, 1);
/** Latest device timestamp a schema accepts at all; the clock check against "now" is {@link checkDeviceClock}. */
export const LATEST_DEVICE_TS = Date.UTC(2100, 0, 1);

export const epochMs = (description: string, required = false): FieldSpec => ({
  type: 'number',
  unit: 'ms',
  description,
  required,
  min: EARLIEST_DEVICE_TS,
  max: LATEST_DEVICE_TS,
  integer: true,
});

/** A zod schema for one field. `z.number()` already refuses NaN and ±Infinity. */
export function fieldSchema(spec: FieldSpec): z.ZodType<number | boolean> {
  if (spec.type === 'boolean') return z.boolean();
  let schema = z.number();
  if (spec.integer) schema = schema.int();
  if (spec.min !== undefined) schema = schema.min(spec.min);
  if (spec.max !== undefined) schema = schema.max(spec.max);
  return schema;
}

/** A zod object shape for a catalogue; optional fields may be absent (never null). */
export function catalogueShape(catalogue: FieldCatalogue): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, spec] of Object.entries(catalogue)) {
    const schema = fieldSchema(spec);
    shape[name] = spec.required ? schema : schema.optional();
  }
  return shape;
}
