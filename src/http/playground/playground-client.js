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

  // The operations of the document sent: GraphiQL's documentAST (and operation name) can still be
  // the previous text's for a moment after the editor changed, so the AST counts only when it is of
  // this very text; otherwise the operations are read from the text's top-level keywords.
  function operationsOf(params, options) {
    var ast = options && options.documentAST;
    if (ast && ast.loc && ast.loc.source && ast.loc.source.body === params.query) {
      return ast.definitions
        .filter(function (definition) {
          return definition.kind === 'OperationDefinition';
        })
        .map(function (definition) {
          return { type: definition.operation, name: definition.name ? definition.name.value : undefined };
        });
    }
    var found = [];
    var pattern = /(?:^|\})\s*(query|mutation|subscription)\b\s*([_A-Za-z][_0-9A-Za-z]*)?/g;
    var match;
    while ((match = pattern.exec(params.query || ''))) found.push({ type: match[1], name: match[2] });
    return found;
  }

  // The operation to run: the one named, or the document's only one when the name is stale.
  function chosenOperation(params, options) {
    var operations = operationsOf(params, options);
    var named = operations.filter(function (operation) {
      return Boolean(params.operationName) && operation.name === params.operationName;
    })[0];
    return named || (operations.length === 1 ? operations[0] : null);
  }

  function graphiqlFetcher(params, options) {
    var operation = chosenOperation(params, options);
    var request = operation ? Object.assign({}, params, { operationName: operation.name }) : params;
    var subscription = Boolean(operation) && operation.type === 'subscription';
    if (subscription) return subscriptionClient().iterate(request);
    return fetcher(request, options);
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
