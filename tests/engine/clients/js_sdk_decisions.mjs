// DMN through Camunda's official JavaScript SDK (@camunda8/sdk, its Zeebe gRPC client): deploys a DMN file,
// evaluates a decision by id and by key and one that is not deployed, and prints one line of JSON saying what it
// observed (the SDK's own answers, as it parsed them). Run by tests/engine/clients/test_js_sdk_client.py against the
// embedded engine; it works the same against Camunda 8. Configured as js_sdk_client.mjs is (ZEEBE_GRPC_ADDRESS,
// CAMUNDA_AUTH_STRATEGY=NONE). Argument: the DMN file to deploy.

import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { Camunda8 } from '@camunda8/sdk'

const JANUARY_DINNER = { month: 1, guests: { adults: 6, children: 2 }, guestsWithChildren: true }

async function main() {
	const dmnPath = process.argv[2]
	if (!dmnPath || !process.env.ZEEBE_GRPC_ADDRESS) {
		console.error('usage: ZEEBE_GRPC_ADDRESS=grpc://host:port node js_sdk_decisions.mjs <decisions.dmn>')
		process.exit(2)
	}
	const observed = { errors: [] }
	const zeebe = new Camunda8().getZeebeGrpcApiClient()
	try {
		const deployment = await zeebe.deployResource({ decision: readFileSync(dmnPath), name: basename(dmnPath) })
		observed.deployments = deployment.deployments.map((d) =>
			d.decision
				? { decision: [d.decision.dmnDecisionId, d.decision.version, String(d.decision.decisionKey)] }
				: { decisionRequirements: [d.decisionRequirements.dmnDecisionRequirementsId, d.decisionRequirements.version] },
		)
		const byId = await zeebe.evaluateDecision({ decisionId: 'beverages', variables: JANUARY_DINNER })
		observed.byId = {
			decisionKey: String(byId.decisionKey),
			decisionOutput: JSON.parse(byId.decisionOutput),
			evaluated: byId.evaluatedDecisions.map((d) => [d.decisionId, d.decisionType, JSON.parse(d.decisionOutput)]),
			matchedRules: byId.evaluatedDecisions.at(-1).matchedRules.map((r) => r.ruleIndex),
			failedDecisionId: byId.failedDecisionId,
		}
		const dish = deployment.deployments.find((d) => d.decision?.dmnDecisionId === 'dish')
		const byKey = await zeebe.evaluateDecision({
			decisionKey: String(dish.decision.decisionKey),
			variables: { month: 7, guests: { adults: 2, children: 1 } },
		})
		observed.byKey = { decisionId: byKey.decisionId, decisionOutput: JSON.parse(byKey.decisionOutput) }
		try {
			await zeebe.evaluateDecision({ decisionId: 'lunch', variables: {} })
			observed.missing = { refused: false }
		} catch (error) {
			observed.missing = { refused: true, code: error.code, details: error.details }
		}
	} catch (error) {
		observed.errors.push(String(error?.stack ?? error))
	} finally {
		await zeebe.close()
	}
	console.log(JSON.stringify(observed))
}

await main()
