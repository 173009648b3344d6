/**
 * The console's HTML shell. Static: no data and no secret is ever written into it; the script
 * (script-*.ts) fetches everything from the admin API after login.
 */

/** `GET /`: the console page. */
export const consolePage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>gemrelay console</title>
<link rel="stylesheet" href="/console.css">
<script src="/console.js" defer></script>
</head>
<body>
<header>
  <h1>gemrelay</h1>
  <nav id="nav" hidden>
    <button type="button" data-page="keys">Keys</button>
    <button type="button" data-page="access">Access keys</button>
    <button type="button" data-page="relays">Relays</button>
    <button type="button" data-page="usage">Usage</button>
    <button type="button" data-page="requests">Requests</button>
    <button type="button" data-page="operations">Operations</button>
    <button type="button" id="logout">Log out</button>
  </nav>
</header>
<main id="main"><p>Loading…</p></main>
<noscript>The gemrelay console needs JavaScript.</noscript>
</body>
</html>
`;
