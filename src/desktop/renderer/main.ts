// Owns the renderer entry point (bundled by scripts/build-renderer.mjs into dist/desktop/ui/app.js):
// starts the App in #app, in Electron (preload bridge) and in a browser (websocket) alike.

import { App } from './app.js';

const root = document.getElementById('app') ?? document.body;
const app = new App(root);
(window as unknown as { virtuneApp: App }).virtuneApp = app;
app.start();
