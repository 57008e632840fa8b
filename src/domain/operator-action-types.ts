/** The operator actions' names: what operator-actions.ts, operator-requests.ts and the compiled checks key by. */
export const OPERATOR_ACTION_TYPES = ['retry', 'fail', 'extend'] as const;
export type OperatorActionType = (typeof OPERATOR_ACTION_TYPES)[number];
