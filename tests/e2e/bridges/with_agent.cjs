// A bridge on the real @novu/framework that also serves a conversational agent, so that discover lists
// `agents` and a sync must point the agent at the bridge (PUT /v1/agents/{agentId}/bridge).
// CommonJS, so that NODE_PATH (set by the launcher) finds the example bridge's node_modules.
const express = require('express');
const { serve } = require('@novu/framework/express');
const { agent, workflow } = require('@novu/framework');

const supportWorkflow = workflow('support-reply', async ({ step }) => {
  await step.inApp('reply', async () => ({ body: 'We are on it.' }));
});
const supportBot = agent('support-bot', { onMessage: async () => 'Hello from support.' });

const app = express();
app.use(express.json());
app.use('/api/novu', serve({ workflows: [supportWorkflow], agents: [supportBot] }));
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`bridge listening on http://127.0.0.1:${server.address().port}/api/novu`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
