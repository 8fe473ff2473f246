// A whole process lifecycle over the engine's REST API through Camunda's own TypeScript client,
// @camunda8/orchestration-cluster-api 8.8, with its response validation switched on (CAMUNDA_SDK_VALIDATION from the
// test): every answer is checked by the client's Zod schemas of the 8.8 spec, and a mismatch throws.
//
// Usage: node rest_lifecycle.mjs <diagram.bpmn>; the engine's address and authentication come from CAMUNDA_*
// variables. Prints one JSON line with what it observed; `errors` lists every call that failed.

import { createCamundaClient } from '@camunda8/orchestration-cluster-api';

const diagram = process.argv[2];
const camunda = createCamundaClient();
const now = {}; // search without waiting: the embedded engine's searches see every command at once
const observed = { errors: [] };

async function step(name, call) {
  try {
    const value = await call();
    observed[name] = value === undefined ? null : JSON.parse(JSON.stringify(value));
    return value;
  } catch (error) {
    observed.errors.push({ step: name, message: String(error?.message ?? error), detail: error?.detail ?? null });
    return undefined;
  }
}

await step('topology', () => camunda.getTopology());
await step('license', () => camunda.getLicense());
const deployment = await step('deployment', () => camunda.deployResourcesFromFiles([diagram]));
const a = await step('createdA', () =>
  camunda.createProcessInstance({ processDefinitionId: 'permohonanRest', variables: { nomorPermohonan: 'P-1' } }),
);
const b = await step('createdB', () =>
  camunda.createProcessInstance({ processDefinitionId: 'permohonanRest', variables: { nomorPermohonan: 'P-2' } }),
);

// jobs: A's is completed, B's fails once with retries left
const activated = await step('activated', () =>
  camunda.activateJobs({ type: 'periksa-berkas', worker: 'rest-client', timeout: 60000, maxJobsToActivate: 10 }),
);
for (const job of activated?.jobs ?? []) {
  if (job.processInstanceKey === a?.processInstanceKey) {
    await step('completedJob', () => camunda.completeJob({ jobKey: job.jobKey, variables: { berkasLengkap: true } }));
  } else {
    await step('failedJob', () =>
      camunda.failJob({ jobKey: job.jobKey, retries: 2, errorMessage: 'berkas belum terbaca' }),
    );
  }
}
await step('jobs', () => camunda.searchJobs({ filter: { type: 'periksa-berkas' } }, now));

// the user task: found, assigned, updated, completed
const tasks = await step('userTasks', () =>
  camunda.searchUserTasks({ filter: { processInstanceKey: a?.processInstanceKey, state: 'CREATED' } }, now),
);
const task = tasks?.items?.[0];
if (task) {
  await step('assigned', () => camunda.assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'kepala-biro' }));
  await step('updated', () => camunda.updateUserTask({ userTaskKey: task.userTaskKey, changeset: { priority: 80 } }));
  await step('task', () => camunda.getUserTask({ userTaskKey: task.userTaskKey }, now));
  await step('taskVariables', () =>
    camunda.searchUserTaskVariables({ userTaskKey: task.userTaskKey, filter: {} }, now),
  );
  await step('completedTask', () =>
    camunda.completeUserTask({ userTaskKey: task.userTaskKey, variables: { disetujui: true } }),
  );
}

// the message, then the signal, end A
await step('correlation', () =>
  camunda.correlateMessage({ name: 'permohonan-disetujui', correlationKey: 'P-1', variables: { catatan: 'lengkap' } }),
);
await step('signal', () => camunda.broadcastSignal({ signalName: 'arsip-ditutup', variables: {} }));

// B is cancelled
await step('cancelled', () => camunda.cancelProcessInstance({ processInstanceKey: b?.processInstanceKey }));

// searches over what happened
await step('processInstances', () =>
  camunda.searchProcessInstances({ filter: { processDefinitionId: 'permohonanRest' }, sort: [{ field: 'startDate' }] }, now),
);
await step('instanceA', () => camunda.getProcessInstance({ processInstanceKey: a?.processInstanceKey }, now));
await step('variables', () => camunda.searchVariables({ filter: { processInstanceKey: a?.processInstanceKey } }, now));
await step('elementInstances', () =>
  camunda.searchElementInstances({ filter: { processInstanceKey: a?.processInstanceKey } }, now),
);
await step('incidents', () => camunda.searchIncidents({ filter: {} }, now));
await step('definitions', () => camunda.searchProcessDefinitions({ filter: { processDefinitionId: 'permohonanRest' } }, now));
await step('deploymentKey', async () => deployment?.deploymentKey);

process.stdout.write(JSON.stringify(observed) + '\n');
