export { videoWorkflow } from './video.js';
export { webhookDeliveryWorkflow } from './webhook-delivery.js';
