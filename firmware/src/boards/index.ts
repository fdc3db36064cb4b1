// Board selection at build time: KERB_BOARD is an esbuild define, so every comparison below folds
// to a constant and the other boards' profiles are tree-shaken out of the bundle.
import type { BoardProfile } from './types.ts';
import { picoBoard } from './pico.ts';
import { puckBoard } from './puck.ts';
import { esp32Board } from './esp32.ts';

declare const KERB_BOARD: string;

export const BOARDS = ['puck', 'pico', 'esp32'];

export function boardProfile(): BoardProfile {
  if (KERB_BOARD === 'pico') return picoBoard();
  if (KERB_BOARD === 'esp32') return esp32Board();
  return puckBoard();
}
