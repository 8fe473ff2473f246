// @camunda8/sdk's REST job worker (CamundaRestClient.createJobWorker, which long-polls POST /v2/jobs/activation)
// works the `periksa-berkas` jobs of the instances it creates over REST, then stops.
//
// Usage: node sdk_rest_worker.mjs <diagram.bpmn> <instances>; the engine's REST address and authentication come
// from the SDK's variables (ZEEBE_REST_ADDRESS, CAMUNDA_AUTH_STRATEGY, …). Prints one JSON line: the instances it
// created, the jobs its worker completed, and the errors it met.

import { Camunda8 } from '@camunda8/sdk';

const [diagram, count] = process.argv.slice(2);
const rest = new Camunda8().getCamundaRestClient();
const observed = { created: [], worked: [], errors: [] };

try {
  await rest.deployResourcesFromFiles([diagram]);
  for (let i = 1; i <= Number(count); i++) {
    const created = await rest.createProcessInstance({
      processDefinitionId: 'permohonanRest',
      variables: { nomorPermohonan: `W-${i}` },
    });
    observed.created.push(String(created.processInstanceKey));
  }
  await new Promise((resolve, reject) => {
    const worker = rest.createJobWorker({
      type: 'periksa-berkas',
      worker: 'sdk-rest-worker',
      timeout: 30000,
      maxJobsToActivate: 5,
      pollIntervalMs: 100,
      jobHandler: (job) => {
        observed.worked.push({
          processInstanceKey: String(job.processInstanceKey),
          nomorPermohonan: job.variables.nomorPermohonan,
          retries: job.retries,
        });
        if (observed.worked.length === Number(count)) setTimeout(() => worker.stop().then(resolve, reject), 0);
        return job.complete({ berkasLengkap: true, diperiksaOleh: 'sdk-rest-worker' });
      },
    });
    worker.on('pollError', (error) => observed.errors.push(String(error?.message ?? error)));
    setTimeout(() => reject(new Error('the worker did not get every job within 60 s')), 60000).unref();
  });
} catch (error) {
  observed.errors.push(String(error?.message ?? error));
}
process.stdout.write(JSON.stringify(observed) + '\n');
process.exit(0);
