import { describeScenarios, type LangChainCore } from './test-support/scenarios';

// The lowest @langchain/core of the peer range (1.0.0, installed as `langchain-core-low`): the
// handler extends that copy's BaseCallbackHandler, as it would in a project that has 1.0.0.
jest.mock('@langchain/core/callbacks/base', () => jest.requireActual('langchain-core-low/callbacks/base'));

describeScenarios({
  failureHasToolCallId: false,
  version: require('langchain-core-low/package.json').version,
  tool: require('langchain-core-low/tools').tool,
  RunnableLambda: require('langchain-core-low/runnables').RunnableLambda,
  HumanMessage: require('langchain-core-low/messages').HumanMessage,
  ToolMessage: require('langchain-core-low/messages').ToolMessage,
  AIMessageChunk: require('langchain-core-low/messages').AIMessageChunk,
  FakeStreamingChatModel: require('langchain-core-low/utils/testing').FakeStreamingChatModel,
} as LangChainCore);
