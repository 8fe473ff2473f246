// Renders every bpmn/*.bpmn to docs/diagrams/<name>.svg with bpmn-js (the library Camunda Modeler
// draws with), in a headless Chromium. The SVG records the SHA-256 of the BPMN it was drawn from,
// so tests/bpmn/test_diagram_pictures.py can tell when a picture is stale.
//
//   cd tools/render-diagrams && npm ci && node render.mjs [--png <dir>]
//
// Chromium: CHROMIUM_PATH, else /usr/bin/chromium (Debian: apt-get install chromium). No browser
// is downloaded. --png also writes a PNG of each diagram (for looking at it; not committed).

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const bpmnDir = join(root, 'bpmn');
const outDir = join(root, 'docs', 'diagrams');
const require = createRequire(import.meta.url);
const viewerScript = require.resolve('bpmn-js/dist/bpmn-viewer.production.min.js');
const bpmnJsVersion = JSON.parse(readFileSync(require.resolve('bpmn-js/package.json'), 'utf8')).version;

const pngIndex = process.argv.indexOf('--png');
const pngDir = pngIndex > -1 ? resolve(process.argv[pngIndex + 1] || 'png') : null;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync'
  ]
});

let failed = false;

try {
  const page = await browser.newPage();
  await page.setContent('<!doctype html><html><body style="margin:0"><div id="canvas" style="width:3000px;height:1200px"></div></body></html>');
  await page.addScriptTag({ path: viewerScript });

  const files = readdirSync(bpmnDir).filter(name => name.endsWith('.bpmn')).sort();
  mkdirSync(outDir, { recursive: true });

  for (const file of files) {
    const xmlBytes = readFileSync(join(bpmnDir, file));
    // Hash with LF line ends, so a checkout that converts them to CRLF still matches.
    const sha256 = createHash('sha256').update(xmlBytes.toString('utf8').replace(/\r\n/g, '\n')).digest('hex');

    const { svg, warnings } = await page.evaluate(async (xml) => {
      const container = document.getElementById('canvas');
      container.innerHTML = '';
      // eslint-disable-next-line no-undef
      const viewer = new BpmnJS({ container });
      const result = await viewer.importXML(xml);
      const { svg } = await viewer.saveSVG();
      viewer.destroy();
      return { svg, warnings: result.warnings.map(warning => String(warning.message || warning)) };
    }, xmlBytes.toString('utf8'));

    if (warnings.length) {
      failed = true;
      console.error(`${file}: bpmn-js import warnings:\n  ${warnings.join('\n  ')}`);
      continue;
    }

    const stamp = `<!-- source: bpmn/${file} sha256: ${sha256} rendered by bpmn-js ${bpmnJsVersion} (tools/render-diagrams) -->`;
    // bpmn-js names arrow-head markers randomly; number them so the file only changes with the diagram.
    const markers = new Map();
    const stable = svg.replace(/marker-[a-z0-9]+/g, id => {
      if (!markers.has(id)) {
        markers.set(id, `marker-${markers.size + 1}`);
      }
      return markers.get(id);
    });
    const stamped = stable.replace(/(<svg[\s>])/, `${stamp}\n$1`);
    const target = join(outDir, `${basename(file, '.bpmn')}.svg`);
    writeFileSync(target, stamped.endsWith('\n') ? stamped : `${stamped}\n`);
    console.log(`wrote ${target}`);

    if (pngDir) {
      mkdirSync(pngDir, { recursive: true });
      const shot = await browser.newPage({ deviceScaleFactor: 1 });
      await shot.setContent(`<!doctype html><html><body style="margin:0;background:#fff">${svg}</body></html>`);
      const element = await shot.$('svg');
      await element.screenshot({ path: join(pngDir, `${basename(file, '.bpmn')}.png`) });
      await shot.close();
    }
  }
} finally {
  await browser.close();
}

process.exit(failed ? 1 : 0);
