import {burstSuite} from './bursts.js';

burstSuite({cols: 80, rows: 24});
