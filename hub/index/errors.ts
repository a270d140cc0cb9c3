/**
 * Error codes of the safety index (STYLE.md habit 6): stable, one place, each message says what
 * happened and what to do.
 */
export const INDEX_ERRORS = {
  SS_INDEX_POLICY_INVALID: 'the policy file does not match the schema; fix the listed paths',
  SS_INDEX_POLICY_READ: 'the policy file could not be read or is not JSON; check the path and syntax',
  SS_INDEX_BAD_INPUT: 'the engine got an input it cannot rate; check the compound and signals',
} as const;

export type IndexErrorCode = keyof typeof INDEX_ERRORS;

export class IndexError extends Error {
  readonly code: IndexErrorCode;
  constructor(code: IndexErrorCode, detail: string) {
    super(`${code}: ${detail}; ${INDEX_ERRORS[code]}`);
    this.code = code;
    this.name = 'IndexError';
  }
}
