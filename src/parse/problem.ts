/** Why a file could not be read, said so that the user can fix it: where, what, and what to write instead. */
export interface Problem {
  line?: number;
  column?: number;
  message: string;
  fix: string;
}
