// A large bridge on the real @novu/framework for `make bench`: BENCH_WORKFLOWS workflows (default 1,000)
// of 8 steps each, every channel and action step type, with JSON Schema payloads and controls.
// CommonJS, so that NODE_PATH (set by tests/stand_ins/bridge_process.py) finds the example bridge's
// node_modules.
const express = require('express');
const { serve } = require('@novu/framework/express');
const { workflow } = require('@novu/framework');

const count = Number(process.env.BENCH_WORKFLOWS || 1000);
const text = (value) => ({ type: 'string', default: value });
const controls = (n) => ({
  type: 'object',
  properties: {
    subject: text(`Update ${n}`),
    body: text(`Hello {{payload.name}}, something happened (${n}).`),
    footer: text('You receive this because you subscribed.'),
  },
  additionalProperties: false,
});

function make(n) {
  return workflow(
    `workflow-${String(n).padStart(4, '0')}`,
    async ({ step, payload }) => {
      await step.inApp('inbox', async (c) => ({ subject: c.subject, body: c.body }), { controlSchema: controls(n) });
      await step.email('email', async (c) => ({ subject: c.subject, body: `${c.body} ${payload.name}` }), {
        controlSchema: controls(n),
      });
      await step.sms('sms', async (c) => ({ body: c.body }), { controlSchema: controls(n) });
      await step.push('push', async (c) => ({ subject: c.subject, body: c.body }), { controlSchema: controls(n) });
      await step.chat('chat', async (c) => ({ body: c.body }), { controlSchema: controls(n) });
      await step.digest('digest', async () => ({ amount: 30, unit: 'minutes' }));
      await step.delay('delay', async () => ({ amount: 1, unit: 'hours' }));
      await step.custom('custom', async () => ({ done: true }), {
        outputSchema: { type: 'object', properties: { done: { type: 'boolean' } }, required: ['done'] },
      });
    },
    {
      name: `Workflow ${n}`,
      description: `Benchmark workflow number ${n}, with every step type.`,
      tags: ['bench', `group-${n % 10}`],
      payloadSchema: {
        type: 'object',
        properties: { name: { type: 'string' }, orderId: { type: 'string' }, total: { type: 'number' } },
        required: ['name'],
        additionalProperties: false,
      },
    }
  );
}

const app = express();
app.use(express.json());
app.use('/api/novu', serve({ workflows: Array.from({ length: count }, (_, n) => make(n)) }));
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`bridge listening on http://127.0.0.1:${server.address().port}/api/novu`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
