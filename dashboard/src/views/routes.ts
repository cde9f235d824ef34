import { Router } from '../router.js';
import { alertsView } from './alerts.js';
import { deviceView } from './device.js';
import { overviewView } from './overview.js';
import { provisionView } from './provision.js';
import { siteView } from './site.js';
import { sitesView } from './sites.js';

/**
 * Every route of the signed-in page, one line each (see `views/view.ts` for the
 * hash routes). A view registered here is reachable from links and the header.
 */
export function createRouter(): Router {
  return new Router()
    .add('overview', overviewView)
    .add('overview/:id', overviewView)
    .add('alerts', alertsView)
    .add('sites', sitesView)
    .add('sites/:id', siteView)
    .add('devices/:id', deviceView)
    .add('provision', provisionView);
}
