// Owns what the Electron preload and the renderer agree on: the one IPC channel name and the shape of
// the two-function bridge (`send`, `onMessage`) the preload exposes on window under BRIDGE_NAME.

export const IPC_CHANNEL = 'virtune:msg';
export const BRIDGE_NAME = 'virtuneIpc';

export interface VirtuneBridge {
  send(text: string): void;
  /** every message from the main process; returns an unsubscribe function */
  onMessage(cb: (text: string) => void): () => void;
}
