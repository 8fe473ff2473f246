// The managers' monitor: the SOP diagrams drawn by bpmn-js's NavigatedViewer (bpmn.io), bundled by esbuild at
// `make install` into web/static/dist/ (git-ignored) and served by the application itself – nothing from a CDN.
// The page carries its numbers as JSON in data- attributes (the CSP allows no inline script) and the same numbers
// as server-rendered tables, so it works without JavaScript; this only draws them on the diagram.
//   <div class="diagram" data-xml="…/pantau/diagram/{definitionKey}" data-angka='{"elementId": {…}}'
//        data-tautan="…/pantau?proses=…&elemen=">                     – the monitor: counts per element, click lists
//   <div class="diagram" data-xml="…" data-jalur='{"selesai": […], "aktif": […], "alur": […], "insiden": […]}'>
//                                                                      – one instance: the path it took
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';

const LABELS = { menunggu: 'menunggu', insiden: 'insiden', terlambat: 'melampaui standar' };

function badge(counts) {
  const box = document.createElement('div');
  box.className = 'lencana';
  for (const [key, label] of Object.entries(LABELS)) {
    if (counts[key] > 0) {
      const item = document.createElement('span');
      item.className = 'lencana-' + key;
      item.textContent = String(counts[key]);
      item.title = counts[key] + ' ' + label;
      box.appendChild(item);
    }
  }
  return box;
}

async function draw(container) {
  const response = await fetch(container.dataset.xml, { credentials: 'same-origin' });
  if (!response.ok) {
    throw new Error('diagram tidak dapat dimuat (' + response.status + ')');
  }
  const viewer = new NavigatedViewer({ container });
  await viewer.importXML(await response.text());
  const canvas = viewer.get('canvas');
  const registry = viewer.get('elementRegistry');
  canvas.zoom('fit-viewport');
  if (container.dataset.angka) {
    const overlays = viewer.get('overlays');
    const counts = JSON.parse(container.dataset.angka);
    for (const [id, numbers] of Object.entries(counts)) {
      if (registry.get(id)) {
        overlays.add(id, 'angka', { position: { bottom: 12, right: 12 }, html: badge(numbers) });
        canvas.addMarker(id, 'ada-isi');
      }
    }
    const link = container.dataset.tautan;
    viewer.get('eventBus').on('element.click', (event) => {
      const id = event.element.id;
      if (counts[id] && link) {
        window.location.assign(link + encodeURIComponent(id) + '#instans');
      }
    });
  }
  if (container.dataset.jalur) {
    const path = JSON.parse(container.dataset.jalur);
    for (const [marker, ids] of [['dilalui', path.selesai], ['dilalui', path.alur], ['aktif', path.aktif], ['gagal', path.insiden]]) {
      for (const id of ids) {
        if (registry.get(id)) {
          canvas.addMarker(id, marker);
        }
      }
    }
  }
  container.dataset.siap = 'true';
}

for (const container of document.querySelectorAll('.diagram[data-xml]')) {
  draw(container).catch((error) => {
    const note = document.createElement('p');
    note.className = 'redup';
    note.textContent = 'Diagram tidak dapat ditampilkan: ' + error.message + '. Angkanya ada pada tabel di bawah.';
    container.replaceChildren(note);
  });
}
