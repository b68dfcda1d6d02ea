"""The static site: where each user's pages live, how they are rendered, and how a build is published."""
