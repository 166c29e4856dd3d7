"""Single sign-on through the company's OpenID Connect provider (see settings, "Single sign-on")."""
