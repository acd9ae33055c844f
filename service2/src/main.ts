import { runService } from '@two-services/service-kit';
import { loadConfig } from './config.ts';
import { createServer } from './server.ts';

runService({ name: 'service2', loadConfig, createServer });
