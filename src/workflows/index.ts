export { videoWorkflow } from './video.js';
