import { describeScenarios, versionOf, type AgentsSdk } from './test-support/scenarios';

// The lowest @openai/agents of the peer range (0.3.0, installed as `openai-agents-low`).
const sdk = require('openai-agents-low');
describeScenarios({ ...sdk, version: versionOf('openai-agents-low') } as AgentsSdk);
