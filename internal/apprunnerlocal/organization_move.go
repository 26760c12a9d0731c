package apprunnerlocal

import (
	"cmp"
	"fmt"
	"slices"
)

// MoveAccount moves an account of the loaded organization to another
// parent (an OU or the root), as Organizations' MoveAccount does: for
// tests of what a function decides when an account moves between a plan
// and its work items.
func (s *Server) MoveAccount(accountID, destinationParentID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	org := s.st.org
	if org == nil {
		return fmt.Errorf("move account %s: no organization is loaded", accountID)
	}
	a := org.account(accountID)
	if a == nil {
		return fmt.Errorf("move account %s: no such account in the organization", accountID)
	}
	dest := org.parents[destinationParentID]
	if dest == nil {
		return fmt.Errorf("move account %s: no parent %s in the organization", accountID, destinationParentID)
	}
	from := a.parent
	from.accounts = slices.DeleteFunc(from.accounts, func(b *orgAccount) bool { return b == a })
	a.parent = dest
	dest.accounts = append(dest.accounts, a)
	slices.SortFunc(dest.accounts, func(a, b *orgAccount) int { return cmp.Compare(a.id, b.id) })
	return nil
}
