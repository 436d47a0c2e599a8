package sesguard

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/sesguard/sesguard/store"
)

// listKey is the context key under which ForList keeps a send's list.
type listKey struct{}

// ForList returns a ctx under which a send is mail for the application's
// list named list (a newsletter, a digest, a campaign). Such mail is
// refused to an address that unsubscribed from list, as well as to one
// suppressed account-wide (a bounce, a complaint); mail sent without a
// list is transactional and no unsubscribe blocks it. The list is the
// suppression's scope, store.Scope(list): it must not be empty, must not
// begin with "ses-contact-list:" (see ContactListScope) and must fit in
// store.MaxScopeLen octets, or the send fails with ErrInvalidMessage.
func ForList(ctx context.Context, list string) context.Context {
	return context.WithValue(ctx, listKey{}, list)
}

// ListOf returns the list that ForList set on ctx, and whether one was set.
func ListOf(ctx context.Context) (string, bool) {
	list, ok := ctx.Value(listKey{}).(string)
	return list, ok
}

// contactListPrefix begins the scopes of SES contact lists, so that they
// never collide with the application's own list names.
const contactListPrefix = "ses-contact-list:"

// ContactListScope returns the scope of an unsubscribe from an SES
// contact list, or from one topic of it when topic is not empty: the
// scope under which a Subscription event's unsubscribe is stored, and
// which blocks a send whose ListManagementOptions name that list (and
// topic).
func ContactListScope(contactList, topic string) store.Scope {
	if topic == "" {
		return store.Scope(contactListPrefix + contactList)
	}
	return store.Scope(contactListPrefix + contactList + "/" + topic)
}

// sendScopes returns the scopes whose suppressions block a send: always
// store.ScopeAll, then the list's scopes when the send is for a list —
// the ForList name, or the SES contact list and, when the send names one,
// its topic. A send both under ForList and with ListManagementOptions is
// refused by the unsubscribes of either.
func sendScopes(ctx context.Context, lm *types.ListManagementOptions) ([]store.Scope, error) {
	scopes := []store.Scope{store.ScopeAll}
	if list, ok := ListOf(ctx); ok {
		if err := checkList(list); err != nil {
			return nil, err
		}
		scopes = append(scopes, store.Scope(list))
	}
	if lm != nil && lm.ContactListName != nil && *lm.ContactListName != "" {
		cl := *lm.ContactListName
		scopes = append(scopes, ContactListScope(cl, ""))
		if lm.TopicName != nil && *lm.TopicName != "" {
			scopes = append(scopes, ContactListScope(cl, *lm.TopicName))
		}
	}
	return scopes, nil
}

// checkList refuses a list name that cannot be a scope.
func checkList(list string) error {
	switch {
	case list == "":
		return fmt.Errorf("%w: ForList with an empty list name", ErrInvalidMessage)
	case strings.HasPrefix(list, contactListPrefix):
		return fmt.Errorf("%w: list name %q uses the prefix reserved for SES contact lists", ErrInvalidMessage, list)
	case len(list) > store.MaxScopeLen:
		return fmt.Errorf("%w: list name is %d octets, more than %d", ErrInvalidMessage, len(list), store.MaxScopeLen)
	}
	return nil
}
