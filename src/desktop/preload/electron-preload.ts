// Owns the preload entry Electron loads (bundled to dist/desktop/preload.cjs): wires the real
// contextBridge and ipcRenderer into exposeBridge. Thin on purpose: the logic is in preload.ts.

import { contextBridge, ipcRenderer } from 'electron';
import { exposeBridge } from './preload.js';

exposeBridge(contextBridge, ipcRenderer);
