"""Calls the platform makes to URLs a tenant gave it, guarded against SSRF in one place.

- `address_policy`: which addresses may be called (public only, unless a stage allows loopback or private),
  a URL checked and its host resolved once (`check_url`);
- `pinned_http`: http.client connections made to one of those checked addresses, never to a fresh DNS answer,
  while Host, SNI and certificate verification use the URL's name;
- `audio_link`: an `audio[].audioUri` https link fetched through both (redirects re-checked, size and time
  capped while streaming, the tenant's allow-list of hosts).

The job webhooks (`speech_core.notify`) and the audio links share the first two.
"""
