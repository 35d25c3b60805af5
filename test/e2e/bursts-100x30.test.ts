import {burstSuite} from './bursts.js';

burstSuite({cols: 100, rows: 30});
