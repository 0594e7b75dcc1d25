/* global window, document, fetch, sessionStorage */
// Runs in the browser: mounts GraphiQL (UMD globals React, ReactDOM, GraphiQL) with Byline's examples.
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('byline-playground-config').textContent);
  var keyInput = document.getElementById('byline-api-key');
  var KEY_STORAGE = 'byline:api-key';
  keyInput.value = sessionStorage.getItem(KEY_STORAGE) || '';
  keyInput.addEventListener('input', function () {
    sessionStorage.setItem(KEY_STORAGE, keyInput.value);
  });

  // application/json is not a "simple" content type, so Apollo's CSRF prevention lets it through.
  function fetcher(params, options) {
    var headers = Object.assign({}, options && options.headers, {
      accept: 'application/graphql-response+json, application/json',
      'content-type': 'application/json',
    });
    var key = keyInput.value.trim();
    if (key) headers['x-api-key'] = key;
    return fetch(config.endpoint, {
      method: 'POST',
      headers: headers,
      body: JSON.stringify(params),
      credentials: 'same-origin',
    }).then(function (response) {
      return response.json();
    });
  }

  var root = window.ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    window.React.createElement(window.GraphiQL, {
      fetcher: fetcher,
      defaultTabs: config.tabs.length > 0 ? config.tabs : undefined,
      // GraphiQL 3 fills the first tab's variables editor from this prop only, not from defaultTabs.
      variables: config.tabs.length > 0 ? config.tabs[0].variables : undefined,
      defaultEditorToolsVisibility: 'variables',
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    }),
  );
})();
