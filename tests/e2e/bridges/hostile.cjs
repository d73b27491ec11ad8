// A bridge on the real @novu/framework whose workflow strings try every injection a report can suffer:
// HTML, Markdown images and links, @-mentions, a closing </details>, code fences, workflow commands.
// CommonJS, so that NODE_PATH (set by the launcher) finds the example bridge's node_modules.
const express = require('express');
const { serve } = require('@novu/framework/express');
const { workflow } = require('@novu/framework');

const hostile = workflow(
  'welcome',
  async ({ step }) => {
    await step.inApp('inbox</details>@octocat', async () => ({ body: 'Hi' }));
  },
  {
    name: '<script>alert(1)</script> @octocat',
    description: '</details>![x](http://evil.example/x.png)\n::error::injected from a description',
    tags: ['@security-team', '::warning::injected from a tag', '[click](http://evil.example)', '```'],
  }
);

const app = express();
app.use(express.json());
app.use('/api/novu', serve({ workflows: [hostile] }));
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`bridge listening on http://127.0.0.1:${server.address().port}/api/novu`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
