// Starts GraphiQL against this server's /graphql. Served by palaute itself so the
// page needs no inline script and its Content-Security-Policy can forbid them.
(function () {
  var fetcher = GraphiQL.createFetcher({ url: "/graphql" });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    // Staff add {"Authorization": "Bearer …"} in the headers pane.
    React.createElement(GraphiQL, { fetcher: fetcher })
  );
})();
