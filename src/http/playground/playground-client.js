/* global window, document, fetch, sessionStorage */
// Runs in the browser: mounts GraphiQL (UMD globals React, ReactDOM, GraphiQL, graphqlWs) with Byline's examples.
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

  // Subscriptions run over WebSocket (graphql-ws) on this page's host; the key goes in
  // connectionParams, as browsers cannot set headers on a WebSocket. One client per key.
  var wsClient = null;
  var wsClientKey = null;
  function subscriptionClient() {
    var key = keyInput.value.trim();
    if (wsClient && wsClientKey === key) return wsClient;
    if (wsClient) wsClient.dispose();
    var url = (window.location.protocol === 'https:' ? 'wss://' : 'ws://') + window.location.host;
    wsClient = window.graphqlWs.createClient({
      url: url + config.subscriptionEndpoint,
      connectionParams: key ? { 'x-api-key': key } : {},
      lazy: true,
      retryAttempts: 0,
    });
    wsClientKey = key;
    return wsClient;
  }

  function isSubscription(params, options) {
    var ast = options && options.documentAST;
    if (!ast) return /^\s*subscription\b/.test(params.query || '');
    var operations = ast.definitions.filter(function (definition) {
      return definition.kind === 'OperationDefinition';
    });
    var chosen = operations.filter(function (definition) {
      return params.operationName ? definition.name && definition.name.value === params.operationName : true;
    })[0];
    return Boolean(chosen) && chosen.operation === 'subscription';
  }

  function graphiqlFetcher(params, options) {
    if (isSubscription(params, options)) return subscriptionClient().iterate(params);
    return fetcher(params, options);
  }

  var root = window.ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    window.React.createElement(window.GraphiQL, {
      fetcher: graphiqlFetcher,
      defaultTabs: config.tabs.length > 0 ? config.tabs : undefined,
      // GraphiQL 3 fills the first tab's variables editor from this prop only, not from defaultTabs.
      variables: config.tabs.length > 0 ? config.tabs[0].variables : undefined,
      defaultEditorToolsVisibility: 'variables',
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    }),
  );
})();
