package registry

import (
	"encoding/json"
	"fmt"
)

type lifecycleRule struct {
	RulePriority int               `json:"rulePriority"`
	Description  string            `json:"description"`
	Selection    lifecycleSelector `json:"selection"`
	Action       map[string]string `json:"action"`
}

type lifecycleSelector struct {
	TagStatus      string   `json:"tagStatus"`
	TagPatternList []string `json:"tagPatternList,omitempty"`
	CountType      string   `json:"countType"`
	CountUnit      string   `json:"countUnit,omitempty"`
	CountNumber    int      `json:"countNumber"`
}

// lifecyclePolicy expires untagged layers (left behind by re-pushes) and
// keeps only the newest tagged images, so storage does not grow forever.
func lifecyclePolicy(untaggedDays, keepTagged int) (string, error) {
	doc := map[string][]lifecycleRule{"rules": {
		{
			RulePriority: 1,
			Description:  fmt.Sprintf("Expire untagged images after %d days", untaggedDays),
			Selection:    lifecycleSelector{TagStatus: "untagged", CountType: "sinceImagePushed", CountUnit: "days", CountNumber: untaggedDays},
			Action:       map[string]string{"type": "expire"},
		},
		{
			RulePriority: 2,
			Description:  fmt.Sprintf("Keep the last %d tagged images", keepTagged),
			Selection:    lifecycleSelector{TagStatus: "tagged", TagPatternList: []string{"*"}, CountType: "imageCountMoreThan", CountNumber: keepTagged},
			Action:       map[string]string{"type": "expire"},
		},
	}}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("render lifecycle policy: %w", err)
	}
	return string(b), nil
}
