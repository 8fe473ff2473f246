// Drives a Zeebe gateway with Camunda's official JavaScript SDK (@camunda8/sdk, its Zeebe gRPC client) and prints
// one line of JSON saying what it observed. Run by tests/engine/clients/test_js_sdk_client.py against the embedded
// engine; it works the same against Camunda 8.
//
// Configured the SDK's zero-conf way, from the environment: ZEEBE_GRPC_ADDRESS=grpc://host:port (plain text),
// CAMUNDA_AUTH_STRATEGY=NONE, CAMUNDA_SECURE_CONNECTION=false. Argument: the BPMN file to deploy.
//
// What it does: Topology; DeployResource; CreateProcessInstance (order A-1); a job worker on `price-order` that fails
// B-2's first job once (FailJob) and completes every job with variables (CompleteJob); CreateProcessInstanceWithResult
// (order B-2); PublishMessage for both orders once their jobs are done (A-1 twice with one message id, the second
// refused); then it awaits B-2's result and closes the client.

import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { Camunda8 } from '@camunda8/sdk'

const TIMEOUT_MS = 60_000

function deferred() {
	let resolve
	const promise = new Promise((r) => {
		resolve = r
	})
	return { promise, resolve }
}

function withTimeout(promise, what) {
	let timer
	const timeout = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), TIMEOUT_MS)
	})
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

async function main() {
	const bpmnPath = process.argv[2]
	if (!bpmnPath || !process.env.ZEEBE_GRPC_ADDRESS) {
		console.error('usage: ZEEBE_GRPC_ADDRESS=grpc://host:port node js_sdk_client.mjs <diagram.bpmn>')
		process.exit(2)
	}
	const observed = { jobs: [], errors: [] }
	const zeebe = new Camunda8().getZeebeGrpcApiClient()
	const jobsDone = { 'A-1': deferred(), 'B-2': deferred() }
	try {
		const topology = await zeebe.topology()
		observed.topology = {
			clusterSize: topology.clusterSize,
			partitionsCount: topology.partitionsCount,
			gatewayVersion: topology.gatewayVersion,
			brokers: topology.brokers.map((b) => ({
				nodeId: b.nodeId,
				partitions: b.partitions.map((p) => ({ partitionId: p.partitionId, role: p.role, health: p.health })),
			})),
		}

		const deployment = await zeebe.deployResource({
			process: readFileSync(bpmnPath),
			name: basename(bpmnPath),
		})
		const [deployed] = deployment.deployments
		observed.deployment = {
			key: String(deployment.key),
			bpmnProcessId: deployed.process.bpmnProcessId,
			version: deployed.process.version,
			processDefinitionKey: String(deployed.process.processDefinitionKey),
			resourceName: deployed.process.resourceName,
		}

		const created = await zeebe.createProcessInstance({
			bpmnProcessId: 'orderApproval',
			variables: { orderId: 'A-1', quantity: 2, unitPrice: 1500 },
		})
		observed.createdA = {
			processInstanceKey: String(created.processInstanceKey),
			bpmnProcessId: created.bpmnProcessId,
			version: created.version,
		}

		const worker = zeebe.createWorker({
			taskType: 'price-order',
			id: 'js-sdk-worker',
			timeout: 30_000,
			taskHandler: (job) => {
				const { orderId, quantity, unitPrice } = job.variables
				observed.jobs.push({
					key: String(job.key),
					processInstanceKey: String(job.processInstanceKey),
					elementId: job.elementId,
					worker: job.worker,
					retries: job.retries,
					customHeaders: job.customHeaders,
					variables: job.variables,
				})
				if (orderId === 'B-2' && job.retries === 3) {
					return job.fail({ errorMessage: 'harga belum tersedia', retries: 2, retryBackOff: 0 })
				}
				const result = job.complete({ total: quantity * unitPrice, pricedBy: 'js-sdk' })
				result.then(() => jobsDone[orderId]?.resolve())
				return result
			},
		})

		const withResult = zeebe.createProcessInstanceWithResult({
			bpmnProcessId: 'orderApproval',
			variables: { orderId: 'B-2', quantity: 3, unitPrice: 700 },
			requestTimeout: TIMEOUT_MS,
		})

		await withTimeout(jobsDone['A-1'].promise, "the job of order A-1")
		const messageA = await zeebe.publishMessage({
			name: 'order-approved',
			correlationKey: 'A-1',
			messageId: 'approval-A-1',
			timeToLive: 60_000,
			variables: { approvedBy: 'kepala-biro' },
		})
		observed.messageA = { key: String(messageA.key) }
		try {
			await zeebe.publishMessage({
				name: 'order-approved',
				correlationKey: 'A-1',
				messageId: 'approval-A-1',
				timeToLive: 60_000,
				variables: {},
			})
			observed.duplicateMessage = { refused: false }
		} catch (error) {
			observed.duplicateMessage = { refused: true, code: error.code ?? null }
		}

		await withTimeout(jobsDone['B-2'].promise, "the job of order B-2")
		await zeebe.publishMessage({
			name: 'order-approved',
			correlationKey: 'B-2',
			timeToLive: 60_000,
			variables: { approvedBy: 'ppbj' },
		})

		const result = await withTimeout(withResult, 'the result of order B-2')
		observed.resultB = {
			processInstanceKey: String(result.processInstanceKey),
			bpmnProcessId: result.bpmnProcessId,
			variables: result.variables,
		}
		await worker.close()
	} catch (error) {
		observed.errors.push({ message: String(error?.message ?? error), code: error?.code ?? null })
	} finally {
		await zeebe.close()
	}
	console.log(JSON.stringify(observed))
}

await main()
// the SDK's gRPC channels can keep the event loop alive for a while after close()
process.exit(0)
