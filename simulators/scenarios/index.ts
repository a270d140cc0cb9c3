export { planScenarios, type PlanOptions } from './plan.ts';
export { SCENARIO_NAMES, type BadSpec, type PlannedMessage, type ScenarioName, type ScenarioPlan, type ScenarioSpec, type TruthRecord } from './types.ts';
