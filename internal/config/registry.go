package config

import "github.com/bpa-infra/bpa-infra/registry"

func readRegistry(r *reader) registry.Settings {
	c := registry.Settings{
		Images:             r.strings("ecrImages", true),
		ImmutableTags:      r.bool("ecrImmutableTags"),
		KeepTaggedImages:   r.int("ecrKeepTaggedImages"),
		UntaggedExpiryDays: r.int("ecrUntaggedExpiryDays"),
	}
	if c.Images != nil && len(c.Images) == 0 {
		r.fail("ecrImages", "lists no image; name every image of the BPA release")
	}
	seen := map[string]bool{}
	for _, img := range c.Images {
		if !registry.ValidRepositoryName(img) {
			r.fail("ecrImages", "%q is not a valid ECR repository name (lower-case, digits, . _ - and / separators)", img)
		}
		if seen[img] {
			r.fail("ecrImages", "%q is listed twice", img)
		}
		seen[img] = true
	}
	if c.KeepTaggedImages < 1 || c.KeepTaggedImages > 1000 {
		r.fail("ecrKeepTaggedImages", "%d must be between 1 and 1000", c.KeepTaggedImages)
	}
	if c.UntaggedExpiryDays < 1 {
		r.fail("ecrUntaggedExpiryDays", "%d must be at least 1", c.UntaggedExpiryDays)
	}
	return c
}
