// The dashboard's shell: sign-in (a pasted token or the one-time #code= URL `make run`
// prints), the navigation and a hash router (#/jobs, #/jobs/<id>, #/documents,
// #/documents/<id>, #/costs, #/services, #/admin). Each view's render(root, arg) may return a stop() for its polling.
import {api, claims, forgetToken, isAdmin, signInFromFragment, storeToken, token} from './api.js';
import {clearError, showError} from './ui.js';
import * as jobs from './jobs.js';
import * as documents from './documents.js';
import * as costs from './costs.js';
import * as services from './services.js';
import * as admin from './admin.js';

const views = {jobs, documents, costs, services, admin};
const $ = (id) => document.getElementById(id);
let stopView = null;

function route() {
  if (stopView) stopView();
  stopView = null;
  clearError();
  const signedIn = token() !== '';
  $('sign-in').hidden = signedIn;
  $('nav').hidden = !signedIn;
  $('who').hidden = !signedIn;
  const root = $('view');
  root.replaceChildren();
  if (!signedIn) return;
  const c = claims();
  $('who-name').textContent = (c?.sub ?? '?') + (c?.role === 'admin' ? ' (admin)' : '');
  for (const a of document.querySelectorAll('[data-admin]')) a.hidden = !isAdmin();
  const [, name = 'jobs', arg] = location.hash.split('/');
  const view = views[name] && (name !== 'admin' || isAdmin()) ? name : 'jobs';
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.classList.toggle('current', a.dataset.nav === view);
  }
  root.dataset.view = view;
  stopView = views[view].render(root, arg ? decodeURIComponent(arg) : undefined) ?? null;
}

$('sign-in-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const candidate = $('token-input').value.trim();
  try {
    await api('GET', '/api/v1/jobs?limit=1', undefined, candidate);  // refuses a bad token
  } catch (err) {
    showError(err);
    return;
  }
  storeToken(candidate);
  $('token-input').value = '';
  route();
});

$('sign-out').addEventListener('click', () => {
  forgetToken();
  history.replaceState(null, '', location.pathname + '#/jobs');
  route();
});

// Redeems a #code= fragment, then shows the page; a refused code shows its error (after
// route(), which clears the banner) on the sign-in form.
async function start() {
  let failure = null;
  try {
    await signInFromFragment();
  } catch (err) {
    failure = err;
  }
  route();
  if (failure) showError(failure);
}

window.addEventListener('hashchange', start);
start();
