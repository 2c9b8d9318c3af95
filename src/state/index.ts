export type { StateOverlay } from "./state-file.js";
export {
  emptyOverlay,
  STATE_FILE_NAME,
  STATE_VERSION,
  StateFile,
  StateFileError,
} from "./state-file.js";
