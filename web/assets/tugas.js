// The staff's task form: the task's deployed Camunda Form rendered by form-js (bpmn.io), bundled by esbuild at
// `make install` into web/static/dist/ (git-ignored) and served by the application itself – nothing from a CDN.
// The page holds the form's schema and the task's variables as JSON; on "Selesaikan tugas" form-js validates, and
// the values travel as JSON in the page's own POST form (with its CSRF token), where the server checks them again.
import { Form } from '@bpmn-io/form-js-viewer';
import '@bpmn-io/form-js-viewer/dist/assets/form-js.css';

function readJson(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
}

async function start() {
  const container = document.getElementById('formulir');
  if (!container) {
    return;
  }
  const schema = readJson('skema-formulir');
  const data = readJson('data-formulir') || {};
  const form = new Form({ container });
  await form.importSchema(schema, data);
  if (container.dataset.hanyaBaca === 'true') {
    form.setProperty('readOnly', true);
  }
  const submit = document.getElementById('kirim-tugas');
  if (!submit) {
    return;
  }
  const message = document.getElementById('pesan-formulir');
  submit.addEventListener('submit', (event) => {
    const result = form.submit();
    if (Object.keys(result.errors).length > 0) {
      event.preventDefault();
      message.textContent = 'Formulir belum lengkap atau belum benar; periksa isian yang ditandai.';
      message.hidden = false;
      const invalid = container.querySelector('[aria-invalid="true"]');
      if (invalid) {
        invalid.focus();
      }
      return;
    }
    document.getElementById('isian').value = JSON.stringify(result.data);
  });
  container.dataset.siap = 'true';
}

start().catch((error) => {
  const container = document.getElementById('formulir');
  if (container) {
    container.textContent = 'Formulir tidak dapat ditampilkan: ' + error.message;
  }
});
