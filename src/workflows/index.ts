export { videoWorkflow } from './video.js';
export { webhookDeliveryWorkflow } from './webhook-delivery.js';
export { alertDigestWorkflow } from './alert-digest.js';
