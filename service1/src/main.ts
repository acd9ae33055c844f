import { runService } from '@two-services/service-kit';
import { loadConfig } from './config.ts';
import { createServer } from './server.ts';

runService({ name: 'service1', loadConfig, createServer, describe: (config) => ({ service2: config.service2Url.href }) });
