// The workflows this example bridge serves. They mirror the bridge captured in
// tests/fixtures/discover.json and add `invoice-paid`, so the set covers Zod and
// JSON Schema payloads, in-app / email / sms / digest steps, and workflow metadata
// (name, description, tags, severity, preferences).
import { workflow } from '@novu/framework';
import { z } from 'zod';

export const welcome = workflow(
  'welcome',
  async ({ step, payload }) => {
    await step.inApp(
      'welcome-inbox',
      async (controls) => ({
        subject: controls.subject,
        body: `${controls.body} ${payload.userName}`,
      }),
      {
        controlSchema: z.object({
          subject: z.string().default('Welcome!'),
          body: z.string().default('Hello there,'),
        }),
      }
    );
    await step.email(
      'welcome-email',
      async (controls) => ({
        subject: controls.subject,
        body: `<p>${controls.body} ${payload.userName} (plan: ${payload.plan})</p>`,
      }),
      {
        controlSchema: z.object({
          subject: z.string().default('Welcome to Acme'),
          body: z.string().default('Thanks for signing up,'),
        }),
      }
    );
  },
  {
    payloadSchema: z.object({
      userName: z.string(),
      plan: z.enum(['free', 'pro', 'enterprise']).default('free'),
    }),
  }
);

export const digestComments = workflow(
  'digest-comments',
  async ({ step }) => {
    const digest = await step.digest('comment-digest', async (controls) => ({
      amount: controls.amount,
      unit: controls.unit,
    }), {
      controlSchema: {
        type: 'object',
        properties: {
          amount: { type: 'number', default: 30 },
          unit: { type: 'string', enum: ['seconds', 'minutes', 'hours', 'days'], default: 'minutes' },
        },
        required: ['amount', 'unit'],
        additionalProperties: false,
      },
    });
    await step.email('digest-email', async (controls) => ({
      subject: `${digest.events.length} new comments`,
      body: controls.intro + digest.events.map((e) => `<li>${e.payload.comment}</li>`).join(''),
    }), {
      controlSchema: {
        type: 'object',
        properties: { intro: { type: 'string', default: '<p>New comments:</p>' } },
        additionalProperties: false,
      },
    });
  },
  {
    payloadSchema: {
      type: 'object',
      properties: {
        comment: { type: 'string' },
        postId: { type: 'string' },
      },
      required: ['comment'],
      additionalProperties: false,
    },
  }
);

export const smsAlert = workflow(
  'sms-alert',
  async ({ step, payload }) => {
    await step.sms('alert-sms', async (controls) => ({
      body: `${controls.prefix} ${payload.message}`,
    }), {
      controlSchema: {
        type: 'object',
        properties: { prefix: { type: 'string', default: '[ALERT]' } },
        additionalProperties: false,
      },
    });
  },
  {
    name: 'SMS Alert',
    description: 'Sends an urgent SMS alert to the subscriber.',
    tags: ['alerts', 'ops'],
    severity: 'high',
    payloadSchema: {
      type: 'object',
      properties: { message: { type: 'string', default: 'Something happened' } },
      additionalProperties: false,
    },
    preferences: {
      all: { enabled: true, readOnly: true },
      channels: {
        sms: { enabled: true },
        email: { enabled: false },
        inApp: { enabled: false },
      },
    },
  }
);

export const invoicePaid = workflow(
  'invoice-paid',
  async ({ step, payload }) => {
    await step.email(
      'invoice-receipt',
      async (controls) => ({
        subject: controls.subject,
        body:
          `<p>${controls.intro}</p>` +
          `<p>Amount: ${payload.amount.toFixed(2)} ${payload.currency}</p>` +
          `<p><a href="${payload.invoiceUrl}">Download your invoice</a></p>`,
      }),
      {
        controlSchema: z.object({
          subject: z.string().default('Payment received - thank you!'),
          intro: z.string().default('We received your payment.'),
        }),
      }
    );
  },
  {
    name: 'Invoice paid',
    description: 'Emails the customer a receipt with a link to the paid invoice.',
    tags: ['billing'],
    payloadSchema: z.object({
      amount: z.number().positive(),
      currency: z.string().length(3).default('USD'),
      invoiceUrl: z.string().url(),
    }),
  }
);

/** Every workflow this bridge can serve, in the order it serves them. */
export const allWorkflows = [welcome, digestComments, smsAlert, invoicePaid];
