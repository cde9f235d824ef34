import type { DeviceEvaluator, EvaluatorFactory } from './engine.js';

/** INTERIM (replaced when the rule packs land in this branch): an evaluator without rules. */
export function createEvaluatorFactory(): EvaluatorFactory {
  return async () => emptyEvaluator();
}

function emptyEvaluator(): DeviceEvaluator {
  return { reading: () => [], presence: () => [], tick: () => [], snapshot: () => ({}), restore: () => undefined, insights: () => ({}) };
}
